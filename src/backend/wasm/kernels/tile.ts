/**
 * Tile for the wasm backend. The built-in kernel indexes element by element; batch norm's gradient tiles
 * a per-channel vector up to the activation's full shape on every step, where the built-in spent tens
 * of milliseconds. This one copies whole rows and then doubles filled blocks with copyWithin, so a
 * [1,1,1,C] -> [N,H,W,C] tile is a handful of memmoves.
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelArgs, kernelFunc, wasmBackend } from "./wasm_calls.ts";

type Heap = Float32Array | Int32Array | Uint8Array;

/** Repeats dst[start, start + len) so that `copies` copies of it lie back to back. */
function replicate(dst: Heap, start: number, len: number, copies: number): void {
  let filled = 1;
  while (filled < copies) {
    const n = Math.min(filled, copies - filled);
    dst.copyWithin(start + filled * len, start, start + n * len);
    filled += n;
  }
}

function tileInto(
  src: Heap,
  dst: Heap,
  shape: number[],
  reps: number[],
): void {
  const rank = shape.length;
  const srcStrides = tf.util.computeStrides(shape);
  const outShape = shape.map((d, i) => d * reps[i]);
  const dstStrides = tf.util.computeStrides(outShape);
  const fill = (dim: number, s: number, d: number) => {
    if (dim === rank - 1) {
      const row = shape[dim];
      dst.set(src.subarray(s, s + row), d);
      replicate(dst, d, row, reps[dim]);
      return;
    }
    for (let i = 0; i < shape[dim]; i++) fill(dim + 1, s + i * srcStrides[dim], d + i * dstStrides[dim]);
    replicate(dst, d, shape[dim] * dstStrides[dim], reps[dim]);
  };
  fill(0, 0, 0);
}

function tileKernel(builtIn: tf.KernelConfig) {
  return ({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo => {
    const { x } = inputs as { x: tf.TensorInfo };
    const reps = attrs.reps as number[];
    if (x.dtype === "string" || x.shape.length === 0) {
      return builtIn.kernelFunc({ inputs, attrs, backend: backend as tf.KernelBackend }) as tf.TensorInfo;
    }
    const wasm = wasmBackend(backend);
    const out = wasm.makeOutput(x.shape.map((d, i) => d * reps[i]), x.dtype);
    if (tf.util.sizeFromShape(out.shape) > 0) {
      tileInto(wasm.typedArrayFromHeap(x) as Heap, wasm.typedArrayFromHeap(out) as Heap, x.shape, reps);
    }
    return out;
  };
}

/** Builds the Tile override, keeping the built-in (and its setup) for string tensors and scalars. */
export function tileKernelConfig(builtIn: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Tile,
    backendName: "wasm",
    setupFunc: builtIn.setupFunc,
    kernelFunc: kernelFunc(tileKernel(builtIn)),
  };
}
