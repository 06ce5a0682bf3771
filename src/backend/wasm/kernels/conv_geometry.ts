/**
 * Padding arithmetic shared by the composed convolution gradients. Both gradients are rewritten as
 * stride-1 convolutions; these helpers say how much each side must be padded, or cropped where the
 * forward convolution never read a row or column.
 */
import * as tf from "@tensorflow/tfjs";
import type { Pads, WasmCalls } from "./wasm_calls.ts";

/** Forward NHWC convolution geometry, as tfjs computes it for the forward kernel. */
export function forwardConvInfo(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC") {
    throw new Error(`mmml wasm kernels support dataFormat 'NHWC' only, received '${dataFormat}'`);
  }
  const dilations = (attrs.dilations as number | [number, number] | undefined) ?? 1;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    dilations,
    attrs.pad as "same" | "valid",
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    depthwise,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error(
      `mmml wasm convolution gradients support dilation 1 only, received [${info.dilationHeight}, ${info.dilationWidth}]`,
    );
  }
  return info;
}

/**
 * Throws unless dy has the forward convolution's output shape (conv2dTranspose lets a caller ask for an
 * output size that no convolution maps back onto its input).
 */
export function checkOutput(kernel: string, info: tf.backend_util.Conv2DInfo, dy: tf.TensorInfo): void {
  const [n, h, w, c] = dy.shape;
  if (n !== info.batchSize || h !== info.outHeight || w !== info.outWidth || c !== info.outChannels) {
    throw new Error(`${kernel}: dy has shape [${dy.shape}], expected the forward output [${info.outShape}]`);
  }
}

/**
 * Pads for the filter gradient computed as a convolution of the input (batch and channels swapped) with
 * dy dilated by the stride: its output must be exactly KH x KW, so the bottom/right pad is whatever
 * makes that true; a negative value means input rows past the last window, which are cropped.
 */
export function filterGradPads(info: tf.backend_util.Conv2DInfo): Pads {
  const { top, left } = info.padInfo;
  const bottom = (info.outHeight - 1) * info.strideHeight + info.filterHeight - info.inHeight - top;
  const right = (info.outWidth - 1) * info.strideWidth + info.filterWidth - info.inWidth - left;
  return [top, bottom, left, right];
}

/**
 * Pads for the input gradient computed as a stride-1 convolution of dy dilated by the stride (height
 * (OH-1)*s+1) with the spatially reversed filter: the output must be exactly H x W.
 */
export function inputGradPads(info: tf.backend_util.Conv2DInfo): Pads {
  const { filterHeight: kh, filterWidth: kw } = info;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const dilatedH = (info.outHeight - 1) * info.strideHeight + 1;
  const dilatedW = (info.outWidth - 1) * info.strideWidth + 1;
  return [top, info.inHeight + kh - 1 - dilatedH - top, left, info.inWidth + kw - 1 - dilatedW - left];
}

/** First and last filter tap (inclusive) along one axis that reads an input row for some output row. */
export function usedTaps(kernel: number, outSize: number, stride: number, padBefore: number, inSize: number) {
  return [Math.max(0, padBefore - (outSize - 1) * stride), Math.min(kernel - 1, inSize - 1 + padBefore)];
}

/** The filter taps that ever touch the input: on small feature maps most of a 3x3 filter reads padding. */
export interface UsedTaps {
  /** First used tap row and column. */
  kh0: number;
  kw0: number;
  /** How many rows and columns of taps are used (0 when none is). */
  kh: number;
  kw: number;
  /** Whether every tap is used. */
  full: boolean;
  /** The geometry of the same convolution with the filter cut down to the used taps. */
  info: tf.backend_util.Conv2DInfo;
}

/** Finds the used taps and the geometry of the convolution restricted to them. */
export function cropToUsedTaps(info: tf.backend_util.Conv2DInfo): UsedTaps {
  const [kh0, kh1] = usedTaps(
    info.filterHeight,
    info.outHeight,
    info.strideHeight,
    info.padInfo.top,
    info.inHeight,
  );
  const [kw0, kw1] = usedTaps(
    info.filterWidth,
    info.outWidth,
    info.strideWidth,
    info.padInfo.left,
    info.inWidth,
  );
  const kh = Math.max(0, kh1 - kh0 + 1), kw = Math.max(0, kw1 - kw0 + 1);
  const cropped = {
    ...info,
    filterHeight: kh,
    filterWidth: kw,
    effectiveFilterHeight: kh,
    effectiveFilterWidth: kw,
    filterShape: [kh, kw, info.inChannels, info.outChannels] as [number, number, number, number],
    padInfo: { ...info.padInfo, top: info.padInfo.top - kh0, left: info.padInfo.left - kw0 },
  };
  return { kh0, kw0, kh, kw, full: kh === info.filterHeight && kw === info.filterWidth, info: cropped };
}

/**
 * Crops the spatial axes of an NHWC tensor where a pad is negative and returns the pads left to apply
 * (all non-negative), so the convolution kernel only ever sees valid padding.
 */
export function cropNegativePads(
  ops: WasmCalls,
  x: tf.TensorInfo,
  pads: Pads,
): { x: tf.TensorInfo; pads: Pads } {
  const [t, b, l, r] = pads;
  if (t >= 0 && b >= 0 && l >= 0 && r >= 0) return { x, pads };
  const [n, h, w, c] = x.shape;
  const top = Math.max(0, -t), left = Math.max(0, -l);
  const height = h - top - Math.max(0, -b), width = w - left - Math.max(0, -r);
  const cropped = ops.slice(x, [0, top, left, 0], [n, height, width, c]);
  return { x: cropped, pads: [Math.max(0, t), Math.max(0, b), Math.max(0, l), Math.max(0, r)] };
}

/**
 * Inserts stride-1 zeros between the rows and columns of an NHWC tensor (one pad kernel on a 6-D view).
 * The result carries (s-1) extra zero rows/columns at the bottom/right; the returned pads account for them.
 */
export function dilateByStride(
  ops: WasmCalls,
  dy: tf.TensorInfo,
  strides: [number, number],
  pads: Pads,
): { x: tf.TensorInfo; pads: Pads } {
  const [sh, sw] = strides;
  if (sh === 1 && sw === 1) return { x: dy, pads };
  const [n, oh, ow, c] = dy.shape;
  const view = ops.reshape(dy, [n, oh, 1, ow, 1, c]);
  const padded = ops.pad(view, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  const dilated = ops.reshape(padded, [n, oh * sh, ow * sw, c]);
  return { x: dilated, pads: [pads[0], pads[1] - (sh - 1), pads[2], pads[3] - (sw - 1)] };
}

/**
 * A convolution's or pool's geometry as mmml's C kernels take it (conv_kernel.c, pool_kernel.c):
 * n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad top, pad left.
 */
export function kernelGeometry(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}
