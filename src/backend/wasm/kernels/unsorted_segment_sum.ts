/**
 * UnsortedSegmentSum for the wasm backend, which has none (it is the gradient of gather, so embedding
 * tables need it). One pass over x adding each row into its segment, straight on the wasm heap.
 * Ids outside [0, numSegments) are dropped, as TensorFlow does; segment ids of rank r index the first r
 * axes of x, and the output is [numSegments, ...x.shape.slice(r)].
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelArgs, kernelFunc, wasmBackend } from "./wasm_calls.ts";

function unsortedSegmentSum({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = attrs.numSegments as number;
  const wasm = wasmBackend(backend);
  const rank = segmentIds.shape.length;
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const innerShape = x.shape.slice(rank);
  const inner = tf.util.sizeFromShape(innerShape);
  const out = wasm.makeOutput([numSegments, ...innerShape], x.dtype);
  // Views are taken after the allocation above: growing the heap detaches older ones.
  const sums = wasm.typedArrayFromHeap(out);
  sums.fill(0);
  const values = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  for (let r = 0; r < rows; r++) {
    const id = ids[r];
    if (id < 0 || id >= numSegments) continue;
    const src = r * inner, dst = id * inner;
    for (let j = 0; j < inner; j++) sums[dst + j] += values[src + j];
  }
  return out;
}

/** The UnsortedSegmentSum kernel registered on "wasm". */
export const UNSORTED_SEGMENT_SUM: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: "wasm",
  kernelFunc: kernelFunc(unsortedSegmentSum),
};
