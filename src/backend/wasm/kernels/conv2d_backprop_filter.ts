/**
 * Conv2DBackpropFilter for the wasm backend, which has none. The filter gradient
 * dW[kh,kw,ci,co] = sum over n,oh,ow of x[n, oh*s+kh-top, ow*s+kw-left, ci] * dy[n,oh,ow,co]
 * is itself a convolution: of x viewed as [Cin,H,W,N] (batch and channels swapped) with dy viewed as a
 * filter [OH,OW,N,Cout] dilated by the forward stride. That runs on the backend's XNNPACK Conv2D.
 * Taps that only ever read padding get a zero gradient without being computed.
 *
 * A 1x1 filter's gradient is a plain product x^T dy over all positions. As a convolution its cost is
 * dominated by XNNPACK repacking dy as a filter (49 ms against 8 ms on EfficientNet's [32,32,32,16] ->
 * 96 expansion), so it is one matrix product instead.
 */
import * as tf from "@tensorflow/tfjs";
import {
  checkOutput,
  cropNegativePads,
  cropToUsedTaps,
  filterGradPads,
  forwardConvInfo,
} from "./conv_geometry.ts";
import { type KernelArgs, kernelFunc, wasmBackend, WasmCalls } from "./wasm_calls.ts";

/**
 * dW for a 1x1 filter without padding: x sampled at the stride, times dy. XNNPACK repacks its right
 * operand on every call, at ~13 ns a float (3x a transpose), so the operand with fewer channels goes
 * there and the other is transposed: 25 ms against 50 ms for [32,32,32,16] -> 96.
 */
function pointwiseFilterGrad(
  ops: WasmCalls,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  matMul: tf.KernelConfig,
): tf.TensorInfo {
  const { inChannels: cin, outChannels: cout } = info;
  const sampled = info.strideHeight === 1 && info.strideWidth === 1 && info.outHeight === info.inHeight &&
      info.outWidth === info.inWidth
    ? x
    : ops.subsample(x, [info.strideHeight, info.strideWidth], [info.outHeight, info.outWidth]);
  const positions = info.batchSize * info.outHeight * info.outWidth;
  const x3d = ops.reshape(sampled, [1, positions, cin]), dy3d = ops.reshape(dy, [1, positions, cout]);
  const plain = { transposeA: false, transposeB: false };
  if (cout < cin) {
    const grad = ops.run(tf.BatchMatMul, { a: ops.transpose(x3d, [0, 2, 1]), b: dy3d }, plain, matMul);
    return ops.reshape(grad, [1, 1, cin, cout]);
  }
  const gradT = ops.run(tf.BatchMatMul, { a: ops.transpose(dy3d, [0, 2, 1]), b: x3d }, plain, matMul);
  return ops.reshape(ops.transpose(gradT, [0, 2, 1]), [1, 1, cin, cout]);
}

function conv2dBackpropFilter(matMul: tf.KernelConfig) {
  return ({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const filterShape = attrs.filterShape as number[];
    const info = forwardConvInfo(x.shape, filterShape, attrs, false);
    checkOutput(tf.Conv2DBackpropFilter, info, dy);
    const used = cropToUsedTaps(info);
    const ops = new WasmCalls(wasmBackend(backend));
    try {
      if (used.kh === 0 || used.kw === 0) return ops.keep(ops.zeros(filterShape));
      const { top, left } = info.padInfo;
      if (info.filterHeight === 1 && info.filterWidth === 1 && top === 0 && left === 0) {
        return ops.keep(pointwiseFilterGrad(ops, x, dy, info, matMul));
      }
      const xT = ops.transpose(x, [3, 1, 2, 0]);
      const dyT = ops.transpose(dy, [1, 2, 0, 3]);
      const { x: input, pads } = cropNegativePads(ops, xT, filterGradPads(used.info));
      const grad = ops.conv2d(input, dyT, pads, [info.strideHeight, info.strideWidth]);
      const taps = ops.transpose(grad, [1, 2, 0, 3]);
      if (used.full) return ops.keep(taps);
      const [kh, kw] = filterShape;
      const rows: [number, number] = [used.kh0, kh - used.kh0 - used.kh];
      const cols: [number, number] = [used.kw0, kw - used.kw0 - used.kw];
      return ops.keep(ops.pad(taps, [rows, cols, [0, 0], [0, 0]]));
    } finally {
      ops.dispose();
    }
  };
}

/** Builds the Conv2DBackpropFilter kernel around the built-in BatchMatMul it multiplies with. */
export function conv2dBackpropFilterKernel(matMul: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: "wasm",
    kernelFunc: kernelFunc(conv2dBackpropFilter(matMul)),
  };
}
