/**
 * Convolutions on oneDNN: Conv2D, FusedConv2D (bias, relu/sigmoid), their input and filter gradients, and
 * the depthwise ones (a grouped convolution with one group per channel). Activations stay NHWC; filters
 * are HWIO (depthwise: HWC1, which is oneDNN's `hwigo`) and go through a small reorder to the blocked
 * layout oneDNN prefers. Anything else (NCHW, other fused activations, non-float inputs) runs the cpu
 * backend's kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { check, DNNL } from "../dnnl_lib.ts";
import { dims, mdTag, opDesc, Primitive, primitiveDesc } from "../primitive.ts";
import { nativeKernel, type NativeKernelContext } from "../native_kernel.ts";

type ConvInfo = tf.backend_util.Conv2DInfo;
type Op = "fwd" | "bwdData" | "bwdWeights";

/** Logical oneDNN dims of the three tensors and the geometry, for a plain or depthwise conv. */
function geometry(info: ConvInfo, depthwise: boolean) {
  const { batchSize: n, inHeight: ih, inWidth: iw, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const o = info.outChannels, kh = info.filterHeight, kw = info.filterWidth;
  const dh = info.dilationHeight - 1, dw = info.dilationWidth - 1;
  const src = [n, c, ih, iw], dst = [n, o, oh, ow];
  // A depthwise filter [kh, kw, c, m] is oneDNN's grouped weights [g=c, o/g=m, i/g=1, kh, kw] in hwigo.
  const weights = depthwise ? [c, o / c, 1, kh, kw] : [o, c, kh, kw];
  const top = info.padInfo.top, left = info.padInfo.left;
  const bottom = (oh - 1) * info.strideHeight + (kh - 1) * (dh + 1) + 1 - ih - top;
  const right = (ow - 1) * info.strideWidth + (kw - 1) * (dw + 1) + 1 - iw - left;
  return {
    src,
    dst,
    weights,
    strides: dims([info.strideHeight, info.strideWidth]),
    dilation: dims([dh, dw]),
    padL: dims([top, left]),
    padR: dims([bottom, right]),
  };
}

const POST_OPS: Record<string, number | null> = {
  linear: null,
  relu: DNNL.eltRelu,
  sigmoid: DNNL.eltLogistic,
};

/** Builds the primitive for one direction of a convolution. */
function build(
  ctx: NativeKernelContext,
  op: Op,
  info: ConvInfo,
  depthwise: boolean,
  bias = false,
  activation = "linear",
): Primitive {
  const dnnl = ctx.dnnl, s = dnnl.symbols, g = geometry(info, depthwise);
  const wTag = depthwise ? DNNL.hwigo : DNNL.hwio;
  const srcMd = mdTag(dnnl, g.src, DNNL.nhwc), dstMd = mdTag(dnnl, g.dst, DNNL.nhwc);
  const wUser = mdTag(dnnl, g.weights, wTag), wAny = mdTag(dnnl, g.weights, DNNL.tagAny);
  const biasMd = mdTag(dnnl, [g.dst[1]], DNNL.a);
  const fwd = opDesc();
  check(
    s.dnnl_dilated_convolution_forward_desc_init(
      fwd,
      DNNL.forwardTraining,
      DNNL.convDirect,
      srcMd,
      wAny,
      bias ? biasMd : null,
      dstMd,
      g.strides,
      g.dilation,
      g.padL,
      g.padR,
    ),
    "convolution_forward_desc_init",
  );
  const post = POST_OPS[activation];
  const fwdPd = primitiveDesc(dnnl, fwd, null, post ? ctx.postOpsAttr(post) : dnnl.attr);
  if (op === "fwd") {
    const bindings = [
      { arg: DNNL.argSrc, query: DNNL.qSrcMd, md: srcMd },
      { arg: DNNL.argWeights, query: DNNL.qWeightsMd, md: wUser },
      ...(bias ? [{ arg: DNNL.argBias, query: DNNL.qWeightsMd, index: 1, md: biasMd }] : []),
      { arg: DNNL.argDst, query: DNNL.qDstMd, md: dstMd, out: true },
    ];
    return new Primitive(dnnl, fwdPd, bindings);
  }
  const desc = opDesc();
  if (op === "bwdData") {
    check(
      s.dnnl_dilated_convolution_backward_data_desc_init(
        desc,
        DNNL.convDirect,
        srcMd,
        wAny,
        dstMd,
        g.strides,
        g.dilation,
        g.padL,
        g.padR,
      ),
      "convolution_backward_data_desc_init",
    );
    return new Primitive(dnnl, primitiveDesc(dnnl, desc, fwdPd), [
      { arg: DNNL.argDiffDst, query: DNNL.qDiffDstMd, md: dstMd },
      { arg: DNNL.argWeights, query: DNNL.qWeightsMd, md: wUser },
      { arg: DNNL.argDiffSrc, query: DNNL.qDiffSrcMd, md: srcMd, out: true },
    ]);
  }
  check(
    s.dnnl_dilated_convolution_backward_weights_desc_init(
      desc,
      DNNL.convDirect,
      srcMd,
      wAny,
      null,
      dstMd,
      g.strides,
      g.dilation,
      g.padL,
      g.padR,
    ),
    "convolution_backward_weights_desc_init",
  );
  return new Primitive(dnnl, primitiveDesc(dnnl, desc, fwdPd), [
    { arg: DNNL.argSrc, query: DNNL.qSrcMd, md: srcMd },
    { arg: DNNL.argDiffDst, query: DNNL.qDiffDstMd, md: dstMd },
    { arg: DNNL.argDiffWeights, query: DNNL.qDiffWeightsMd, md: wUser, out: true },
  ]);
}

function key(op: Op, info: ConvInfo, depthwise: boolean, extra = ""): string {
  const p = info.padInfo;
  return [
    depthwise ? "dw" : "conv",
    op,
    info.inShape,
    info.outShape,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    p.top,
    p.left,
    extra,
  ].join("|");
}

type Attrs = Record<string, unknown>;

function convInfo(xShape: number[], fShape: number[], attrs: Attrs, depthwise: boolean): ConvInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    (attrs.dilations ?? 1) as number | [number, number],
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
    depthwise,
  );
}

const nhwc = (attrs: Attrs) => attrs.dataFormat === undefined || attrs.dataFormat === "NHWC";

function forward(name: string, depthwise: boolean, fused: boolean) {
  return nativeKernel(name, (ctx, inputs, attrs) => {
    const { x, filter, bias, preluActivationWeights } = inputs;
    const activation = (attrs.activation ?? "linear") as string;
    if (
      !nhwc(attrs) || preluActivationWeights || !(activation in POST_OPS) || !ctx.allFloat([x, filter, bias])
    ) {
      return null;
    }
    if (
      bias &&
      (bias.shape.length !== 1 ||
        bias.shape[0] !== filter.shape[depthwise ? 2 : 3] * (depthwise ? filter.shape[3] : 1))
    ) {
      return null;
    }
    const info = convInfo(x.shape, filter.shape, attrs, depthwise);
    const prim = ctx.cache.get(
      key("fwd", info, depthwise, fused ? `${bias ? "b" : ""}${activation}` : ""),
      () => build(ctx, "fwd", info, depthwise, bias !== undefined, activation),
    );
    const out = ctx.output(info.outShape);
    prim.run(
      bias ? [ctx.values(x), ctx.values(filter), ctx.values(bias), out.values] : [
        ctx.values(x),
        ctx.values(filter),
        out.values,
      ],
    );
    return out.info;
  });
}

function backpropInput(name: string, depthwise: boolean) {
  return nativeKernel(name, (ctx, inputs, attrs) => {
    const { dy, filter } = inputs;
    if (!nhwc(attrs) || !ctx.allFloat([dy, filter])) return null;
    const info = convInfo(attrs.inputShape as number[], filter.shape, attrs, depthwise);
    const prim = ctx.cache.get(key("bwdData", info, depthwise), () => build(ctx, "bwdData", info, depthwise));
    const out = ctx.output(info.inShape);
    prim.run([ctx.values(dy), ctx.values(filter), out.values]);
    return out.info;
  });
}

function backpropFilter(name: string, depthwise: boolean) {
  return nativeKernel(name, (ctx, inputs, attrs) => {
    const { x, dy } = inputs;
    if (!nhwc(attrs) || !ctx.allFloat([x, dy])) return null;
    const info = convInfo(x.shape, attrs.filterShape as number[], attrs, depthwise);
    const prim = ctx.cache.get(
      key("bwdWeights", info, depthwise),
      () => build(ctx, "bwdWeights", info, depthwise),
    );
    const out = ctx.output(info.filterShape);
    prim.run([ctx.values(x), ctx.values(dy), out.values]);
    return out.info;
  });
}

export const CONV_KERNELS = [
  forward(tf.Conv2D, false, false),
  forward(tf.FusedConv2D, false, true),
  backpropInput(tf.Conv2DBackpropInput, false),
  backpropFilter(tf.Conv2DBackpropFilter, false),
  forward(tf.DepthwiseConv2dNative, true, false),
  forward(tf.FusedDepthwiseConv2D, true, true),
  backpropInput(tf.DepthwiseConv2dNativeBackpropInput, true),
  backpropFilter(tf.DepthwiseConv2dNativeBackpropFilter, true),
];
