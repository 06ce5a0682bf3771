/**
 * DepthwiseConv2dNativeBackpropInput and ...BackpropFilter for the wasm backend, which has neither
 * (EfficientNet's MBConv blocks need both).
 * - input gradient: a stride-1 XNNPACK depthwise convolution of dy, dilated by the stride, with the
 *   spatially reversed filter (3-4x faster than a loop at stride 1, on par at stride 2);
 * - filter gradient: a loop over the heap (depthwise_filter_grad.ts). The composed form (x as one image of
 *   N*C channels filtered by dy as an OH x OW filter) ran 1.4-3x slower: XNNPACK has no fast kernel
 *   for such a filter.
 */
import * as tf from "@tensorflow/tfjs";
import {
  checkOutput,
  cropNegativePads,
  dilateByStride,
  forwardConvInfo,
  inputGradPads,
} from "./conv_geometry.ts";
import { depthwiseFilterGradLoop } from "./depthwise_filter_grad.ts";
import { type KernelArgs, kernelFunc, wasmBackend, WasmCalls } from "./wasm_calls.ts";

function depthwiseBackpropInput({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const info = forwardConvInfo(attrs.inputShape as number[], filter.shape, attrs, true);
  checkOutput(tf.DepthwiseConv2dNativeBackpropInput, info, dy);
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
  checkOutput(tf.DepthwiseConv2dNativeBackpropFilter, info, dy);
  const ops = new WasmCalls(wasmBackend(backend));
  try {
    const dw = ops.empty(filterShape);
    depthwiseFilterGradLoop(ops.heap(x), ops.heap(dy), ops.heap(dw), info);
    return ops.keep(dw);
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
