/**
 * Sum and Mean for the wasm backend when the reduced axes are one contiguous block that is not the last
 * axes: batch norm's per-channel sums over [N,H,W] and global average pooling's mean over [H,W]. The
 * built-ins first transpose the reduced axes to the end; a loop over the heap that sums rows into a
 * float64 accumulator reads the tensor once instead (3x faster on [32,32,32,96] over axes 0-2).
 * Other reductions, and tensors that are not float32, go to the built-in kernels.
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelArgs, kernelFunc, wasmBackend } from "./wasm_calls.ts";

/** Below this many elements in each kept row, the loop's per-row overhead outweighs the transpose saved. */
const MIN_INNER = 8;

/** x viewed as [outer, reduced, inner] with the reduced axes in the middle; undefined if not of that form. */
function blockView(shape: number[], axes: number[]) {
  if (axes.length === 0) return undefined;
  const sorted = [...axes].sort((a, b) => a - b);
  const first = sorted[0], end = sorted[sorted.length - 1] + 1;
  if (end - first !== sorted.length) return undefined;
  const size = (from: number, to: number) => tf.util.sizeFromShape(shape.slice(from, to));
  return { outer: size(0, first), reduced: size(first, end), inner: size(end, shape.length) };
}

function sumRows(
  x: Float32Array,
  out: Float32Array,
  outer: number,
  reduced: number,
  inner: number,
  scale: number,
) {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    for (let r = 0; r < reduced; r++) {
      const base = (o * reduced + r) * inner;
      for (let i = 0; i < inner; i++) acc[i] += x[base + i];
    }
    const dst = o * inner;
    for (let i = 0; i < inner; i++) out[dst + i] = acc[i] * scale;
  }
}

function reduceKernel(builtIn: tf.KernelConfig, mean: boolean) {
  return ({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo => {
    const { x } = inputs as { x: tf.TensorInfo };
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const view = x.dtype === "float32" ? blockView(x.shape, axes) : undefined;
    if (view === undefined || view.inner < MIN_INNER || view.reduced === 0) {
      return builtIn.kernelFunc({ inputs, attrs, backend: backend as tf.KernelBackend }) as tf.TensorInfo;
    }
    const outShape = attrs.keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    const wasm = wasmBackend(backend);
    const out = wasm.makeOutput(outShape, "float32");
    const src = wasm.typedArrayFromHeap(x) as Float32Array,
      dst = wasm.typedArrayFromHeap(out) as Float32Array;
    sumRows(src, dst, view.outer, view.reduced, view.inner, mean ? 1 / view.reduced : 1);
    return out;
  };
}

/** Wraps the built-in Sum or Mean as described above, keeping its setup. */
export function reduceBlockConfig(builtIn: tf.KernelConfig): tf.KernelConfig {
  const mean = builtIn.kernelName === tf.Mean;
  return {
    kernelName: builtIn.kernelName,
    backendName: "wasm",
    setupFunc: builtIn.setupFunc,
    kernelFunc: kernelFunc(reduceKernel(builtIn, mean)),
  };
}
