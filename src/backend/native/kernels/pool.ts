/**
 * Max and average pooling on oneDNN, forward and backward, NHWC. MaxPoolGrad reruns the forward pass in
 * training mode to get oneDNN's workspace (where each maximum came from), then the backward pass; tfjs
 * hands the gradient the input, so nothing is kept between the two calls. Average pooling excludes the
 * padding from the count, as tfjs's forward does; its gradient stays on the cpu kernel, which divides by
 * the whole window (tfjs's own definition, which a native kernel would contradict).
 */
import * as tf from "@tensorflow/tfjs";
import { check, DNNL } from "../dnnl_lib.ts";
import { dims, type Md, mdBytes, mdTag, opDesc, Primitive, primitiveDesc, queryMd } from "../primitive.ts";
import { nativeKernel, type NativeKernelContext } from "../native_kernel.ts";

type PoolInfo = tf.backend_util.Conv2DInfo;

function poolInfo(xShape: number[], attrs: Record<string, unknown>): PoolInfo {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as number | [number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
  );
}

interface Geometry {
  src: Md;
  dst: Md;
  args: BigInt64Array[];
}

function geometry(ctx: NativeKernelContext, info: PoolInfo): Geometry {
  const { batchSize: n, inHeight: ih, inWidth: iw, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const kh = info.filterHeight, kw = info.filterWidth, top = info.padInfo.top, left = info.padInfo.left;
  const bottom = (oh - 1) * info.strideHeight + kh - ih - top,
    right = (ow - 1) * info.strideWidth + kw - iw - left;
  return {
    src: mdTag(ctx.dnnl, [n, c, ih, iw], DNNL.nhwc),
    dst: mdTag(ctx.dnnl, [n, c, oh, ow], DNNL.nhwc),
    args: [
      dims([info.strideHeight, info.strideWidth]),
      dims([kh, kw]),
      dims([0, 0]),
      dims([top, left]),
      dims([bottom, right]),
    ],
  };
}

function forwardPd(ctx: NativeKernelContext, g: Geometry, prop: number, alg: number): Deno.PointerObject {
  const desc = opDesc();
  const [st, k, dil, pl, pr] = g.args;
  check(
    ctx.dnnl.symbols.dnnl_pooling_v2_forward_desc_init(desc, prop, alg, g.src, g.dst, st, k, dil, pl, pr),
    "pooling_v2_forward_desc_init",
  );
  return primitiveDesc(ctx.dnnl, desc);
}

function backwardPd(ctx: NativeKernelContext, g: Geometry, alg: number, hint: Deno.PointerObject) {
  const desc = opDesc();
  const [st, k, dil, pl, pr] = g.args;
  check(
    ctx.dnnl.symbols.dnnl_pooling_v2_backward_desc_init(desc, alg, g.src, g.dst, st, k, dil, pl, pr),
    "pooling_v2_backward_desc_init",
  );
  return primitiveDesc(ctx.dnnl, desc, hint);
}

const key = (op: string, info: PoolInfo) =>
  [op, info.inShape, info.outShape, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth]
    .concat([info.padInfo.top, info.padInfo.left]).join("|");

const nhwcFloat = (ctx: NativeKernelContext, ts: tf.TensorInfo[]) =>
  ctx.allFloat(ts) && ts[0].shape.length === 4;

function forward(name: string, alg: number) {
  return nativeKernel(name, (ctx, { x }, attrs) => {
    if (!nhwcFloat(ctx, [x])) return null;
    const info = poolInfo(x.shape, attrs);
    const prim = ctx.cache.get(key(`pool${alg}`, info), () => {
      const g = geometry(ctx, info);
      return new Primitive(ctx.dnnl, forwardPd(ctx, g, DNNL.forwardInference, alg), [
        { arg: DNNL.argSrc, query: DNNL.qSrcMd, md: g.src },
        { arg: DNNL.argDst, query: DNNL.qDstMd, md: g.dst, out: true },
      ]);
    });
    const y = ctx.output(info.outShape);
    prim.run([ctx.values(x), y.values]);
    return y.info;
  });
}

/** MaxPoolGrad: the forward pass (for its workspace) and the backward pass, sharing two buffers. */
const maxPoolGrad = nativeKernel(tf.MaxPoolGrad, (ctx, { dy, input }, attrs) => {
  if (!nhwcFloat(ctx, [input, dy])) return null;
  const info = poolInfo(input.shape, attrs);
  const { fwd, bwd } = ctx.cache.get(key("maxgrad", info), () => {
    const g = geometry(ctx, info);
    const fwdPd = forwardPd(ctx, g, DNNL.forwardTraining, DNNL.poolMax);
    const wsMd = queryMd(ctx.dnnl, fwdPd, DNNL.qWorkspaceMd);
    const workspace = new Uint8Array(Math.max(64, mdBytes(ctx.dnnl, wsMd)));
    const dst = new Uint8Array(mdBytes(ctx.dnnl, g.dst));
    return {
      fwd: new Primitive(ctx.dnnl, fwdPd, [{ arg: DNNL.argSrc, query: DNNL.qSrcMd, md: g.src }], [
        { arg: DNNL.argDst, md: g.dst, buffer: dst },
        { arg: DNNL.argWorkspace, md: wsMd, buffer: workspace },
      ]),
      bwd: new Primitive(ctx.dnnl, backwardPd(ctx, g, DNNL.poolMax, fwdPd), [
        { arg: DNNL.argDiffDst, query: DNNL.qDiffDstMd, md: g.dst },
        { arg: DNNL.argDiffSrc, query: DNNL.qDiffSrcMd, md: g.src, out: true },
      ], [{ arg: DNNL.argWorkspace, md: wsMd, buffer: workspace }]),
    };
  });
  fwd.run([ctx.values(input)]);
  const dx = ctx.output(input.shape);
  bwd.run([ctx.values(dy), dx.values]);
  return dx.info;
});

export const POOL_KERNELS = [
  forward(tf.MaxPool, DNNL.poolMax),
  forward(tf.AvgPool, DNNL.poolAvgExcludePadding),
  maxPoolGrad,
];
