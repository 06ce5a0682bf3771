/**
 * PadV2 and Slice as block copies (TypedArray.set over the longest contiguous runs) instead of the cpu
 * backend's per-element index arithmetic. The vision models pad every strided convolution's input
 * (ZeroPadding2D) and slice the padding off again in the gradient, on full-size activations.
 */
import * as tf from "@tensorflow/tfjs";
import { nativeKernel } from "../native_kernel.ts";
import { denseStrides } from "../primitive.ts";

/** Calls fn with each index over `shape` (row-major order); one call for an empty shape. */
function forEachIndex(shape: readonly number[], fn: (index: number[]) => void): void {
  const index = new Array<number>(shape.length).fill(0);
  if (shape.some((d) => d === 0)) return;
  for (;;) {
    fn(index);
    let axis = shape.length - 1;
    while (axis >= 0 && ++index[axis] === shape[axis]) index[axis--] = 0;
    if (axis < 0) return;
  }
}

const pad = nativeKernel(tf.PadV2, (ctx, { x }, attrs) => {
  if (x.dtype !== "float32" || x.shape.length === 0) return null;
  const paddings = attrs.paddings as [number, number][], value = attrs.constantValue as number;
  const outShape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const y = ctx.output(outShape), src = ctx.values(x);
  y.values.fill(value); // a reused buffer holds old values
  let last = x.shape.length - 1;
  while (last > 0 && paddings[last][0] === 0 && paddings[last][1] === 0) last--;
  const outStrides = denseStrides(outShape), run = x.shape[last] * outStrides[last];
  let from = 0;
  forEachIndex(x.shape.slice(0, last), (index) => {
    let to = paddings[last][0] * outStrides[last];
    for (let i = 0; i < index.length; i++) to += (index[i] + paddings[i][0]) * outStrides[i];
    y.values.set(src.subarray(from, from + run), to);
    from += run;
  });
  return y.info;
});

const slice = nativeKernel(tf.Slice, (ctx, { x }, attrs) => {
  if (x.dtype !== "float32" || x.shape.length === 0) return null;
  const [begin, size] = tf.slice_util.parseSliceParams(
    x as tf.Tensor,
    attrs.begin as number[],
    attrs.size as number[],
  );
  if (size.some((d) => d === 0)) return null;
  let last = x.shape.length - 1;
  while (last > 0 && begin[last] === 0 && size[last] === x.shape[last]) last--;
  const inStrides = denseStrides(x.shape), run = size[last] * inStrides[last];
  const y = ctx.output(size), src = ctx.values(x);
  let to = 0;
  forEachIndex(size.slice(0, last), (index) => {
    let from = begin[last] * inStrides[last];
    for (let i = 0; i < index.length; i++) from += (index[i] + begin[i]) * inStrides[i];
    y.values.set(src.subarray(from, from + run), to);
    to += run;
  });
  return y.info;
});

export const SHAPE_KERNELS = [pad, slice];
