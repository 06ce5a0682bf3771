/**
 * BatchMatMul and _FusedMatMul for the wasm backend when an operand is transposed. The built-in
 * kernels read a transposed operand with a strided inner loop that ran 6x-100x slower than an explicit
 * transpose followed by a plain multiply (1024^3 with transposeA: ~14 s against ~0.14 s); dense-layer
 * gradients take exactly these paths. Plain multiplies go straight to the built-in kernel.
 *
 * The built-in _FusedMatMul also adds the bias wrongly when the batch is larger than one (rows after the
 * first of each batch get the bias's last element), so batched multiplies with a bias add it and apply
 * the activation as separate kernels.
 */
import * as tf from "@tensorflow/tfjs";
import { wasmBackend, WasmCalls } from "./wasm_calls.ts";

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function batchSize(t: tf.TensorInfo): number {
  return tf.util.sizeFromShape(t.shape.slice(0, -2));
}

/** The activations _FusedMatMul accepts, as the wasm kernels that apply them on their own. */
function activate(
  ops: WasmCalls,
  x: tf.TensorInfo,
  attrs: tf.NamedAttrMap,
  alpha?: tf.TensorInfo,
): tf.TensorInfo {
  const activation = (attrs.activation as string | undefined) ?? "linear";
  switch (activation) {
    case "linear":
      return x;
    case "relu":
      return ops.run(tf.Relu, { x });
    case "relu6":
      return ops.run(tf.Relu6, { x });
    case "elu":
      return ops.run(tf.Elu, { x });
    case "sigmoid":
      return ops.run(tf.Sigmoid, { x });
    case "leakyrelu":
      return ops.run(tf.LeakyRelu, { x }, { alpha: (attrs.leakyreluAlpha as number | undefined) ?? 0.2 });
    case "prelu":
      return ops.run(tf.Prelu, { x, alpha: alpha! });
    default:
      throw new Error(`_FusedMatMul activation '${activation}' is not supported on wasm`);
  }
}

function transposingKernel(builtIn: tf.KernelConfig): tf.KernelFunc {
  const fused = builtIn.kernelName === tf._FusedMatMul;
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined> & {
      a: tf.TensorInfo;
      b: tf.TensorInfo;
    };
    const splitBias = fused && bias != null && Math.max(batchSize(a), batchSize(b)) > 1;
    if (!attrs.transposeA && !attrs.transposeB && !splitBias) return builtIn.kernelFunc(args);
    const ops = new WasmCalls(wasmBackend(backend));
    try {
      const plainA = attrs.transposeA ? ops.transpose(a, swapLastTwo(a.shape.length)) : a;
      const plainB = attrs.transposeB ? ops.transpose(b, swapLastTwo(b.shape.length)) : b;
      const plainAttrs = { ...attrs, transposeA: false, transposeB: false };
      if (!splitBias) {
        return ops.keep(
          ops.run(builtIn.kernelName, { ...inputs, a: plainA, b: plainB }, plainAttrs, builtIn),
        );
      }
      const product = ops.run(builtIn.kernelName, { a: plainA, b: plainB }, {
        ...plainAttrs,
        activation: "linear",
      }, builtIn);
      return ops.keep(activate(ops, ops.add(product, bias!), attrs, preluActivationWeights));
    } finally {
      ops.dispose();
    }
  };
}

/**
 * Wraps a built-in BatchMatMul or _FusedMatMul so transposed operands are transposed explicitly first;
 * the built-in's setup is kept because the wrapper still calls into it.
 */
export function transposingMatMulKernel(builtIn: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: builtIn.kernelName,
    backendName: "wasm",
    setupFunc: builtIn.setupFunc,
    kernelFunc: transposingKernel(builtIn),
  };
}
