/**
 * Input gradient of a convolution as one matrix product and a scatter-add (col2im), for the shapes where
 * the convolution form is wasteful: strided convolutions (whose dilated dy is mostly zeros) and small
 * feature maps (where repacking a large filter for XNNPACK costs more than the arithmetic).
 *
 *   cols[m, (kh,kw,ci)] = sum over co of dy[m, co] * filter[kh, kw, ci, co]      (m = n, oh, ow)
 *   dx[n, oh*s+kh-top, ow*s+kw-left, ci] += cols[m, (kh,kw,ci)]
 *
 * Only the filter taps that ever land inside the input take part (a 3x3 'same' convolution on a 1x1 map
 * uses its centre tap alone).
 */
import * as tf from "@tensorflow/tfjs";
import { cropToUsedTaps } from "./conv_geometry.ts";
import type { WasmCalls } from "./wasm_calls.ts";

/** Rough costs a float of XNNPACK repacking a right operand, and of a wasm transpose (measured). */
const PACK_NS = 13, TRANSPOSE_NS = 4;

/** Caps the cols buffer (floats) by running the batch in slices; 16M floats = 64 MB. */
const MAX_COLS = 16 * 1024 * 1024;

interface Scatter {
  n0: number;
  count: number;
  kh0: number;
  kh: number;
  kw0: number;
  kw: number;
}

function scatterAdd(
  dx: Float32Array,
  cols: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  s: Scatter,
): void {
  const {
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const { top, left } = info.padInfo;
  const row = s.kh * s.kw * C;
  let m = 0;
  for (let n = s.n0; n < s.n0 + s.count; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, m++) {
        for (let a = 0; a < s.kh; a++) {
          const h = oh * sh + s.kh0 + a - top;
          if (h < 0 || h >= H) continue;
          for (let b = 0; b < s.kw; b++) {
            const w = ow * sw + s.kw0 + b - left;
            if (w < 0 || w >= W) continue;
            const src = m * row + (a * s.kw + b) * C;
            const dst = ((n * H + h) * W + w) * C;
            for (let c = 0; c < C; c++) dx[dst + c] += cols[src + c];
          }
        }
      }
    }
  }
}

/**
 * dx for dy [N,OH,OW,Cout] and filter [KH,KW,Cin,Cout]. `matMul` is the built-in BatchMatMul, whose
 * untransposed single product is XNNPACK's. XNNPACK repacks its right operand on every call (~13 ns a
 * float, against ~4 for a transpose), so either
 * - cols = dy * filter^T, repacking the transposed filter (rows x width x cout work aside), or
 * - cols = (filter * dy^T)^T, repacking dy^T and transposing dy and the cols back,
 * whichever moves fewer floats through those steps.
 */
export function inputGradByMatMul(
  ops: WasmCalls,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  matMul: tf.KernelConfig,
  { maxCols = MAX_COLS }: { maxCols?: number } = {},
): tf.TensorInfo {
  const { batchSize: N, inChannels: cin, outChannels: cout, outHeight: OH, outWidth: OW } = info;
  const dx = ops.zeros(info.inShape);
  const { kh0, kw0, kh, kw, full } = cropToUsedTaps(info);
  if (kh === 0 || kw === 0) return dx;
  const width = kh * kw * cin;
  const taps = full ? filter : ops.slice(filter, [kh0, kw0, 0, 0], [kh, kw, cin, cout]);
  const w2d = ops.reshape(taps, [1, width, cout]);
  const perImage = OH * OW;
  const step = Math.max(1, Math.min(N, Math.floor(maxCols / (perImage * width))));
  const rows = step * perImage;
  const viaFilter = (PACK_NS + TRANSPOSE_NS) * width * cout;
  const viaDy = rows * ((PACK_NS + TRANSPOSE_NS) * cout + TRANSPOSE_NS * width);
  const dyBesideFilter = viaDy < viaFilter;
  const w2dT = dyBesideFilter ? undefined : ops.transpose(w2d, [0, 2, 1]);
  const plain = { transposeA: false, transposeB: false };
  for (let n0 = 0; n0 < N; n0 += step) {
    const count = Math.min(step, N - n0);
    const part = count === N ? dy : ops.slice(dy, [n0, 0, 0, 0], [count, OH, OW, cout]);
    const dy3d = ops.reshape(part, [1, count * perImage, cout]);
    const cols = w2dT !== undefined
      ? ops.run(tf.BatchMatMul, { a: dy3d, b: w2dT }, plain, matMul)
      : ops.transpose(ops.run(tf.BatchMatMul, { a: w2d, b: ops.transpose(dy3d, [0, 2, 1]) }, plain, matMul), [
        0,
        2,
        1,
      ]);
    scatterAdd(ops.heap(dx), ops.heap(cols), info, { n0, count, kh0, kh, kw0, kw });
    ops.drop(cols);
  }
  return dx;
}
