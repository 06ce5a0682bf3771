/**
 * DepthwiseConv2dNativeBackpropInput and ...BackpropFilter for the wasm backend, which has neither
 * (EfficientNet's MBConv blocks need both). Both become stride-1 depthwise convolutions on the
 * backend's XNNPACK DepthwiseConv2dNative:
 * - input gradient: dy dilated by the stride, filtered by the spatially reversed filter;
 * - filter gradient: x viewed as one image of N*C channels, filtered by dy viewed as an OH x OW filter
 *   (dilated by the stride) with one output per image and channel, then summed over the batch.
 */
import * as tf from "@tensorflow/tfjs";
import {
  cropNegativePads,
  dilateByStride,
  filterGradPads,
  forwardConvInfo,
  inputGradPads,
} from "./conv_geometry.ts";
import { type KernelArgs, kernelFunc, wasmBackend, WasmCalls } from "./wasm_calls.ts";

function depthwiseBackpropInput({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const info = forwardConvInfo(attrs.inputShape as number[], filter.shape, attrs, true);
  const [kh, kw, channels, multiplier] = filter.shape;
  const ops = new WasmCalls(wasmBackend(backend));
  try {
    const flipped = ops.flipSpatial(filter);
    const [n, oh, ow] = dy.shape;
    let total: tf.TensorInfo | undefined;
    // A channel multiplier m > 1 splits into m depthwise passes, one per filter column q: output
    // channel c*m+q of dy only ever meets filter[..., c, q].
    const dyByQ = multiplier === 1 ? undefined : ops.reshape(dy, [n, oh, ow, channels, multiplier]);
    for (let q = 0; q < multiplier; q++) {
      const dyQ = dyByQ === undefined
        ? dy
        : ops.reshape(ops.slice(dyByQ, [0, 0, 0, 0, q], [n, oh, ow, channels, 1]), [n, oh, ow, channels]);
      const filterQ = multiplier === 1 ? flipped : ops.slice(flipped, [0, 0, 0, q], [kh, kw, channels, 1]);
      const dilated = dilateByStride(ops, dyQ, [info.strideHeight, info.strideWidth], inputGradPads(info));
      const { x, pads } = cropNegativePads(ops, dilated.x, dilated.pads);
      const part = ops.depthwise(x, filterQ, pads);
      total = total === undefined ? part : ops.add(total, part);
    }
    return ops.keep(total!);
  } finally {
    ops.dispose();
  }
}

function depthwiseBackpropFilter({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const filterShape = attrs.filterShape as number[];
  const info = forwardConvInfo(x.shape, filterShape, attrs, true);
  const [n, h, w, channels] = x.shape;
  const [, oh, ow, outChannels] = dy.shape;
  const [kh, kw, , multiplier] = filterShape;
  const ops = new WasmCalls(wasmBackend(backend));
  try {
    const image = ops.reshape(ops.transpose(x, [1, 2, 0, 3]), [1, h, w, n * channels]);
    const dyFilter = ops.reshape(ops.transpose(dy, [1, 2, 0, 3]), [oh, ow, n * channels, multiplier]);
    const { x: input, pads } = cropNegativePads(ops, image, filterGradPads(info));
    const perImage = ops.depthwise(input, dyFilter, pads, [info.strideHeight, info.strideWidth]);
    const summed = ops.sum(ops.reshape(perImage, [kh, kw, n, outChannels]), [2]);
    return ops.keep(ops.reshape(summed, filterShape));
  } finally {
    ops.dispose();
  }
}

/** The DepthwiseConv2dNativeBackpropInput kernel registered on "wasm". */
export const DEPTHWISE_BACKPROP_INPUT: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: "wasm",
  kernelFunc: kernelFunc(depthwiseBackpropInput),
};

/** The DepthwiseConv2dNativeBackpropFilter kernel registered on "wasm". */
export const DEPTHWISE_BACKPROP_FILTER: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: "wasm",
  kernelFunc: kernelFunc(depthwiseBackpropFilter),
};
