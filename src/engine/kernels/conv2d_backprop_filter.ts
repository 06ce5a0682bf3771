/**
 * Conv2DBackpropFilter for the wasm backend, which has none. The filter gradient
 * dW[kh,kw,ci,co] = sum over n,oh,ow of x[n, oh*s+kh-top, ow*s+kw-left, ci] * dy[n,oh,ow,co]
 * is itself a convolution: of x viewed as [Cin,H,W,N] (batch and channels swapped) with dy viewed as a
 * filter [OH,OW,N,Cout] dilated by the forward stride. That runs on the backend's XNNPACK Conv2D.
 * Taps that only ever read padding get a zero gradient without being computed.
 */
import * as tf from "@tensorflow/tfjs";
import { cropNegativePads, cropToUsedTaps, filterGradPads, forwardConvInfo } from "./conv_geometry.ts";
import { type KernelArgs, kernelFunc, wasmBackend, WasmCalls } from "./wasm_calls.ts";

function conv2dBackpropFilter({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const filterShape = attrs.filterShape as number[];
  const info = forwardConvInfo(x.shape, filterShape, attrs, false);
  const used = cropToUsedTaps(info);
  const ops = new WasmCalls(wasmBackend(backend));
  try {
    if (used.kh === 0 || used.kw === 0) return ops.keep(ops.zeros(filterShape));
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
}

/** The Conv2DBackpropFilter kernel registered on "wasm". */
export const CONV2D_BACKPROP_FILTER: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc: kernelFunc(conv2dBackpropFilter),
};
