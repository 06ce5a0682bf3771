/**
 * Element-wise work on oneDNN, multi-threaded and vectorised: Sqrt and Square (the optimizers' updates),
 * Relu and Sigmoid forward and their
 * gradients (one kernel each instead of tfjs's step/cast/mul and mul/sub/mul chains), Add, Sub, Mul and
 * RealDiv where the first operand has the output's shape (or the op commutes) and the second broadcasts,
 * and Sum and Mean over any axes (over adjacent axes in one JavaScript pass: see reduceBlock). Tensors under MIN_NATIVE elements stay on the cpu kernels: there a
 * JavaScript loop is cheaper than a primitive call.
 */
import * as tf from "@tensorflow/tfjs";
import { SWISH, SWISH_GRAD } from "../../swish_op.ts";
import { check, DNNL } from "../dnnl_lib.ts";
import { mdDense, opDesc, Primitive, primitiveDesc } from "../primitive.ts";
import { nativeKernel, type NativeKernelContext } from "../native_kernel.ts";

/** Below this many elements a kernel falls back to the cpu backend's. */
export const MIN_NATIVE = 4096;
export const RELU_GRAD = "MmmlReluGrad";
export const SIGMOID_GRAD = "MmmlSigmoidGrad";

const size = (t: tf.TensorInfo) => tf.util.sizeFromShape(t.shape);
/** A shape oneDNN can describe (it has no rank 0). */
const dimsOf = (shape: readonly number[]) => shape.length === 0 ? [1] : shape;

function eltwise(
  ctx: NativeKernelContext,
  shape: readonly number[],
  alg: number,
  backward: boolean,
): Primitive {
  const s = ctx.dnnl.symbols, md = mdDense(ctx.dnnl, dimsOf(shape));
  const alpha = alg === DNNL.eltSwish ? 1 : 0; // swish is x * sigmoid(alpha * x)
  const fwd = opDesc();
  check(
    s.dnnl_eltwise_forward_desc_init(fwd, DNNL.forwardTraining, alg, md, alpha, 0),
    "eltwise_forward_desc_init",
  );
  const fwdPd = primitiveDesc(ctx.dnnl, fwd);
  if (!backward) {
    return new Primitive(ctx.dnnl, fwdPd, [
      { arg: DNNL.argSrc, query: DNNL.qSrcMd, md },
      { arg: DNNL.argDst, query: DNNL.qDstMd, md, out: true },
    ]);
  }
  const bwd = opDesc();
  check(s.dnnl_eltwise_backward_desc_init(bwd, alg, md, md, alpha, 0), "eltwise_backward_desc_init");
  // For relu and swish the data is the forward's input; for logistic_use_dst_for_bwd it is the output.
  const dataArg = alg === DNNL.eltLogisticUseDst ? DNNL.argDst : DNNL.argSrc;
  return new Primitive(ctx.dnnl, primitiveDesc(ctx.dnnl, bwd, fwdPd), [
    { arg: DNNL.argDiffDst, query: DNNL.qDiffDstMd, md },
    { arg: dataArg, query: null, md },
    { arg: DNNL.argDiffSrc, query: DNNL.qDiffSrcMd, md, out: true },
  ]);
}

function unary(name: string, alg: number, always = false) {
  return nativeKernel(name, (ctx, { x }) => {
    if (x.dtype !== "float32" || (!always && size(x) < MIN_NATIVE)) return null;
    const prim = ctx.cache.get(`elt|${alg}|${x.shape}`, () => eltwise(ctx, x.shape, alg, false));
    const y = ctx.output(x.shape);
    prim.run([ctx.values(x), y.values]);
    return y.info;
  });
}

function unaryGrad(name: string, alg: number, data: "x" | "y") {
  return nativeKernel(name, (ctx, inputs) => {
    const dy = inputs.dy, d = inputs[data];
    const prim = ctx.cache.get(`eltb|${alg}|${dy.shape}`, () => eltwise(ctx, dy.shape, alg, true));
    const dx = ctx.output(dy.shape);
    prim.run([ctx.values(dy), ctx.values(d), dx.values]);
    return dx.info;
  });
}

function binary(name: string, alg: number, commutes: boolean) {
  return nativeKernel(name, (ctx, { a, b }) => {
    if (!ctx.allFloat([a, b])) return null;
    const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (tf.util.sizeFromShape(out) < MIN_NATIVE) return null;
    const pad = (s: number[]) => [...new Array(out.length - s.length).fill(1), ...s];
    let [first, second] = [a, b];
    if (!tf.util.arraysEqual(pad(a.shape), out)) {
      if (!commutes || !tf.util.arraysEqual(pad(b.shape), out)) return null;
      [first, second] = [b, a];
    }
    const s1 = pad(second.shape);
    const prim = ctx.cache.get(`bin|${alg}|${out}|${s1}`, () => {
      const md0 = mdDense(ctx.dnnl, out), md1 = mdDense(ctx.dnnl, s1);
      const desc = opDesc();
      check(ctx.dnnl.symbols.dnnl_binary_desc_init(desc, alg, md0, md1, md0), "binary_desc_init");
      return new Primitive(ctx.dnnl, primitiveDesc(ctx.dnnl, desc), [
        { arg: DNNL.argSrc, query: DNNL.qSrcMd, md: md0 },
        { arg: DNNL.argSrc1, query: null, md: md1 },
        { arg: DNNL.argDst, query: DNNL.qDstMd, md: md0, out: true },
      ]);
    });
    const y = ctx.output(out);
    prim.run([ctx.values(first), ctx.values(second), y.values]);
    return y.info;
  });
}

/**
 * Sums (or means) of x viewed as [outer, middle, inner] over the middle: a reduction over one block of
 * adjacent axes. oneDNN 2.6 has only its reference implementation for these (150 ms for the mean of a
 * 32x112x112x32 map); one pass in row order with a float64 accumulator takes ~20 ms.
 */
function reduceBlock(
  src: Float32Array,
  out: Float32Array,
  outer: number,
  middle: number,
  inner: number,
  mean: boolean,
) {
  const acc = new Float64Array(inner);
  const scale = mean ? 1 / middle : 1;
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let at = o * middle * inner;
    for (let m = 0; m < middle; m++) {
      for (let i = 0; i < inner; i++) acc[i] += src[at + i];
      at += inner;
    }
    for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i] * scale;
  }
}

function reduction(name: string, alg: number) {
  return nativeKernel(name, (ctx, { x }, attrs) => {
    if (x.dtype !== "float32" || size(x) < MIN_NATIVE) return null;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const kept = x.shape.map((d, i) => axes.includes(i) ? 1 : d);
    // oneDNN wants at least one axis that shrinks.
    if (tf.util.arraysEqual(kept, x.shape)) return null;
    const outShape = attrs.keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
    const sorted = [...axes].sort((a, b) => a - b);
    if (sorted.every((a, i) => i === 0 || a === sorted[i - 1] + 1)) {
      const first = sorted[0], last = sorted[sorted.length - 1];
      const prod = (from: number, to: number) => x.shape.slice(from, to).reduce((a, b) => a * b, 1);
      const y = ctx.output(outShape);
      reduceBlock(
        ctx.values(x),
        y.values,
        prod(0, first),
        prod(first, last + 1),
        prod(last + 1, x.shape.length),
        alg === DNNL.reductionMean,
      );
      return y.info;
    }
    const prim = ctx.cache.get(`red|${alg}|${x.shape}|${axes}`, () => {
      const src = mdDense(ctx.dnnl, x.shape), dst = mdDense(ctx.dnnl, kept);
      const desc = opDesc();
      check(ctx.dnnl.symbols.dnnl_reduction_desc_init(desc, alg, src, dst, 0, 0), "reduction_desc_init");
      return new Primitive(ctx.dnnl, primitiveDesc(ctx.dnnl, desc), [
        { arg: DNNL.argSrc, query: DNNL.qSrcMd, md: src },
        { arg: DNNL.argDst, query: DNNL.qDstMd, md: dst, out: true },
      ]);
    });
    const y = ctx.output(outShape);
    prim.run([ctx.values(x), y.values]);
    return y.info;
  });
}

export const ELEMENTWISE_KERNELS = [
  unary(tf.Relu, DNNL.eltRelu),
  unary(tf.Sigmoid, DNNL.eltLogistic),
  unary(tf.Sqrt, DNNL.eltSqrt),
  unary(tf.Square, DNNL.eltSquare),
  unaryGrad(RELU_GRAD, DNNL.eltRelu, "x"),
  unaryGrad(SIGMOID_GRAD, DNNL.eltLogisticUseDst, "y"),
  // No cpu kernel to fall back to: every size runs on oneDNN.
  unary(SWISH, DNNL.eltSwish, true),
  unaryGrad(SWISH_GRAD, DNNL.eltSwish, "x"),
  binary(tf.Add, DNNL.binaryAdd, true),
  binary(tf.Multiply, DNNL.binaryMul, true),
  binary(tf.Sub, DNNL.binarySub, false),
  binary(tf.RealDiv, DNNL.binaryDiv, false),
  reduction(tf.Sum, DNNL.reductionSum),
  reduction(tf.Mean, DNNL.reductionMean),
];

/**
 * Relu's and Sigmoid's gradients run one native kernel on the native backend; elsewhere the gradients
 * tfjs registered. Gradients are global, so each is replaced by one that dispatches on the backend.
 */
export function registerNativeGradients(backendName: string): void {
  for (const [kernel, grad, saved] of [[tf.Relu, RELU_GRAD, "x"], [tf.Sigmoid, SIGMOID_GRAD, "y"]] as const) {
    const stock = tf.getGradient(kernel);
    if (stock === undefined || (stock as { mmml?: true }).mmml) continue;
    tf.registerGradient({
      ...stock,
      mmml: true,
      gradFunc: (dy, tensors, attrs) => {
        const d = tensors[0], g = Array.isArray(dy) ? dy[0] : dy;
        if (tf.getBackend() !== backendName || d.dtype !== "float32") {
          return stock.gradFunc(dy, tensors, attrs);
        }
        return { x: () => tf.engine().runKernel(grad, { dy: g, [saved]: d }) as tf.Tensor };
      },
    } as tf.GradConfig);
  }
}
