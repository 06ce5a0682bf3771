/**
 * Copy loops over the wasm heap that beat the built-in kernels for the layouts the composed gradients
 * produce: matrix transposes (blocked, 2x the built-in Transpose on tall, narrow matrices) and strided
 * subsampling of NHWC maps.
 */
import type * as tf from "@tensorflow/tfjs";

/**
 * [batch, rows, cols] when `perm` only swaps two blocks of axes (after dropping size-1 axes and merging
 * axes that stay neighbours), so the transpose is `batch` matrix transposes; otherwise undefined.
 */
export function matrixSwap(shape: number[], perm: number[]): [number, number, number] | undefined {
  const kept = perm.filter((p) => shape[p] !== 1);
  const groups: number[][] = [];
  for (const p of kept) {
    const last = groups.at(-1);
    if (last !== undefined && last.at(-1)! + 1 === p) last.push(p);
    else groups.push([p]);
  }
  const size = (g: number[]) => g.reduce((n, p) => n * shape[p], 1);
  const firsts = groups.map((g) => g[0]);
  if (groups.length === 2 && firsts[0] > firsts[1]) return [1, size(groups[1]), size(groups[0])];
  if (groups.length === 3 && firsts[0] < firsts[1] && firsts[0] < firsts[2] && firsts[1] > firsts[2]) {
    return [size(groups[0]), size(groups[2]), size(groups[1])];
  }
  return undefined;
}

/** dst[offset + c*rows + r] = src[offset + r*cols + c], in blocks of rows so writes stay cached. */
export function transposeMatrix(
  src: tf.TypedArray,
  dst: tf.TypedArray,
  offset: number,
  rows: number,
  cols: number,
) {
  const block = 16;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let c = 0; c < cols; c++) {
      const d = offset + c * rows;
      for (let r = r0; r < r1; r++) dst[d + r] = src[offset + r * cols + c];
    }
  }
}

/** Copies every stride-th row and column of an NHWC array, `size` of each, from the first. */
export function subsampleInto(
  src: Float32Array,
  dst: Float32Array,
  [n, h, w, c]: number[],
  [sh, sw]: [number, number],
  [oh, ow]: [number, number],
): void {
  let d = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const s = ((b * h + i * sh) * w + j * sw) * c;
        for (let k = 0; k < c; k++) dst[d++] = src[s + k];
      }
    }
  }
}
