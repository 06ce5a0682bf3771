/**
 * An in-memory matrix as a DataSource: the encoded features of every row, row-major, and their class
 * indices. Each epoch's shuffle is a seeded permutation, so runs repeat exactly.
 */
import { createRng, permutation } from "../random.ts";
import type { Batch, BatchOptions, DataSource } from "./data_source.ts";

/**
 * Wraps `x` ([y.length, featureCount], row-major) and `y` without copying them. Shuffled batches gather
 * their rows into fresh arrays; unshuffled batches are views into `x` and `y`, so consumers must treat a
 * batch as read-only.
 */
export function createTabularSource(
  x: Float32Array,
  y: Int32Array,
  featureCount: number,
  numClasses: number,
  target?: Float32Array,
): DataSource {
  if (target && target.length !== y.length) {
    throw new RangeError(`target holds ${target.length} values, expected one per row (${y.length})`);
  }
  if (!Number.isInteger(featureCount) || featureCount < 1) {
    throw new RangeError(`featureCount must be a positive integer, received ${featureCount}`);
  }
  if (x.length !== y.length * featureCount) {
    throw new RangeError(`x holds ${x.length} values, expected ${y.length} rows x ${featureCount} features`);
  }
  for (let i = 0; i < y.length; i++) {
    if (!(y[i] >= 0 && y[i] < numClasses)) {
      throw new RangeError(`y[${i}] is ${y[i]}, expected a class index in [0, ${numClasses})`);
    }
  }
  const size = y.length;
  return {
    size,
    inputShape: [featureCount],
    numClasses,
    labels: () => y,
    ...(target ? { targets: () => target } : {}),
    batches: (options) => batchesOf(x, y, featureCount, options, target),
  };
}

/** A regression matrix: targets per row, every label 0 (one output). */
export function createRegressionSource(
  x: Float32Array,
  target: Float32Array,
  featureCount: number,
): DataSource {
  return createTabularSource(x, new Int32Array(target.length), featureCount, 1, target);
}

async function* batchesOf(
  x: Float32Array,
  y: Int32Array,
  width: number,
  { batchSize, shuffle, seed }: BatchOptions,
  target?: Float32Array,
): AsyncGenerator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, received ${batchSize}`);
  }
  const size = y.length;
  const order = shuffle ? permutation(size, createRng(seed)) : null;
  for (let start = 0; start < size; start += batchSize) {
    const end = Math.min(size, start + batchSize);
    const n = end - start;
    if (order === null) {
      const t = target?.subarray(start, end);
      yield {
        x: x.subarray(start * width, end * width),
        y: y.subarray(start, end),
        size: n,
        ...(t ? { target: t } : {}),
      };
      continue;
    }
    const bx = new Float32Array(n * width);
    const by = new Int32Array(n);
    const bt = target ? new Float32Array(n) : undefined;
    for (let i = 0; i < n; i++) {
      const row = order[start + i];
      by[i] = y[row];
      if (bt) bt[i] = target![row];
      // An index loop rather than set(subarray(...)): no view object per row.
      for (let k = 0, from = row * width, to = i * width; k < width; k++) bx[to + k] = x[from + k];
    }
    yield { x: bx, y: by, size: n, ...(bt ? { target: bt } : {}) };
  }
}
