/**
 * Conv2DBackpropInput for the wasm backend. The built-in one is a scalar loop about 10x slower than the
 * forward convolution. Two faster forms, chosen by shape:
 * - the forward XNNPACK Conv2D of dy with the filter reversed in space and its in/out channels swapped
 *   (best for stride 1 on large feature maps);
 * - one XNNPACK matrix product and a scatter-add (conv_input_grad_matmul.ts), which wastes nothing on a
 *   strided convolution and repacks no filter on small feature maps.
 */
import * as tf from "@tensorflow/tfjs";
import {
  checkOutput,
  cropNegativePads,
  cropToUsedTaps,
  dilateByStride,
  forwardConvInfo,
  inputGradPads,
} from "./conv_geometry.ts";
import { inputGradByMatMul } from "./conv_input_grad_matmul.ts";
import { type KernelArgs, kernelFunc, wasmBackend, WasmCalls } from "./wasm_calls.ts";

/** dx as a stride-1 convolution of the stride-dilated dy with the flipped, channel-swapped filter. */
export function inputGradByConv(
  ops: WasmCalls,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const flipped = ops.transpose(ops.flipSpatial(filter), [0, 1, 3, 2]);
  const dilated = dilateByStride(ops, dy, [info.strideHeight, info.strideWidth], inputGradPads(info));
  const { x, pads } = cropNegativePads(ops, dilated.x, dilated.pads);
  return ops.conv2d(x, flipped, pads);
}

/**
 * Below this many output positions (N*OH*OW) repacking the filter for a convolution costs more than the
 * product it feeds: measured 1.3x-4x slower at 128 and 32 positions, on par at 512.
 */
const MIN_CONV_POSITIONS = 256;

/**
 * Whether the matmul form wins: for strides above 1 (no zeros multiplied), for filters partly over
 * padding only (unused taps skipped) and for few output positions (no filter repacked).
 */
export function prefersMatMul(info: tf.backend_util.Conv2DInfo): boolean {
  if (info.strideHeight > 1 || info.strideWidth > 1 || !cropToUsedTaps(info).full) return true;
  return info.batchSize * info.outHeight * info.outWidth < MIN_CONV_POSITIONS;
}

function conv2dBackpropInput(matMul: tf.KernelConfig) {
  return ({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const info = forwardConvInfo(attrs.inputShape as number[], filter.shape, attrs, false);
    checkOutput(tf.Conv2DBackpropInput, info, dy);
    const ops = new WasmCalls(wasmBackend(backend));
    try {
      return ops.keep(
        prefersMatMul(info)
          ? inputGradByMatMul(ops, dy, filter, info, matMul)
          : inputGradByConv(ops, dy, filter, info),
      );
    } finally {
      ops.dispose();
    }
  };
}

/**
 * Builds the Conv2DBackpropInput override from the built-in kernel (whose setup is kept, so a
 * re-initialised backend still works) and the built-in BatchMatMul it multiplies with.
 */
export function conv2dBackpropInputKernel(
  builtIn: tf.KernelConfig,
  matMul: tf.KernelConfig,
): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: "wasm",
    setupFunc: builtIn.setupFunc,
    kernelFunc: kernelFunc(conv2dBackpropInput(matMul)),
  };
}
