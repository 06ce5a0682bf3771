/** Tiny seeded data sets for training tests: Gaussian blobs, one per class. */
import { createTabularSource } from "../src/data/tabular_source.ts";
import { createRng } from "../src/random.ts";
import type { DataSource } from "../src/data/data_source.ts";

export interface BlobOptions {
  train: number;
  val: number;
  features?: number;
  classes?: number;
  /** Distance of class centres from the origin in units of the noise; small values overlap. */
  separation?: number;
  /** Share of rows per class; uniform when absent. */
  shares?: number[];
  seed?: number;
}

/** Training and validation sources drawn from the same blobs (one random centre per class). */
export function blobSources(
  { train, val, features = 6, classes = 3, separation = 3, shares, seed = 1 }: BlobOptions,
): { train: DataSource; val: DataSource } {
  const rng = createRng(seed);
  const centres = Array.from(
    { length: classes },
    () => Array.from({ length: features }, () => rng.normal() * separation),
  );
  const weights = shares ?? Array(classes).fill(1);
  const total = weights.reduce((a, b) => a + b, 0);
  const rows = train + val;
  const x = new Float32Array(rows * features);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let u = rng.next() * total, c = 0;
    while (c < classes - 1 && u >= weights[c]) u -= weights[c++];
    y[i] = c;
    for (let f = 0; f < features; f++) x[i * features + f] = centres[c][f] + rng.normal();
  }
  return {
    train: createTabularSource(x.subarray(0, train * features), y.subarray(0, train), features, classes),
    val: createTabularSource(x.subarray(train * features), y.subarray(train), features, classes),
  };
}
