/**
 * Test support for the wasm and native kernels: seeded tensors and a check that runs the same computation
 * on the cpu backend (the reference) and on wasm or native with mmml's kernels, comparing outputs and asserting that
 * neither leaves a tensor or a backend buffer behind.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../src/random.ts";
import { useBackend } from "../src/backend/choose.ts";
import { registerWasmKernels } from "../src/backend/wasm/register_kernels.ts";

/** A convolution padding as the ops take it. */
export type Pad = "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];
/** Where compareWithCpu runs a computation. */
export type Backend = "cpu" | "wasm" | "native";
/** An NHWC or filter shape. */
export type Shape4 = [number, number, number, number];

/** Asymmetric explicit padding. */
export const EXPLICIT: Pad = [[0, 0], [1, 2], [0, 1], [0, 0]];

/** A tensor of uniform values in [-0.5, 0.5) from a seeded generator. */
export function seeded(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  return tf.tensor(
    Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.next() - 0.5),
    shape,
  );
}

/** Largest |a - b| over the largest |a|: one number per output, robust to outputs near zero. */
export function relativeError(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let scale = 0, err = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    err = Math.max(err, Math.abs(expected[i] - actual[i]));
  }
  return err / Math.max(scale, 1e-12);
}

/** Runs `compute` on the cpu backend, then on `target` with mmml's kernels, and compares every output. */
export async function compareWithCpu<C>(
  cases: readonly C[],
  compute: (c: C, i: number, backend: Backend) => tf.Tensor[],
  tolerance = 1e-4,
  target: Exclude<Backend, "cpu"> = "wasm",
  /** The target's threads (native: OpenMP's; unset, its default, which OMP_NUM_THREADS sets). */
  threads?: number,
) {
  const run = async (backend: Backend) => {
    await useBackend(backend, backend === "cpu" ? {} : { threads });
    if (backend === "wasm") registerWasmKernels();
    const before = tf.memory().numTensors, buffers = tf.backend().numDataIds();
    const values = cases.map((c, i) =>
      tf.tidy(() => compute(c, i, backend)).map((t) => {
        const v = t.dataSync().slice();
        t.dispose();
        return v;
      })
    );
    assert.equal(tf.memory().numTensors, before, `${backend} leaked tensors`);
    assert.equal(tf.backend().numDataIds(), buffers, `${backend} leaked buffers`); // kernel temporaries
    return values;
  };
  const expected = await run("cpu");
  const actual = await run(target);
  cases.forEach((c, i) =>
    expected[i].forEach((e, j) => {
      const err = relativeError(e, actual[i][j]);
      assert.ok(err <= tolerance, `case ${JSON.stringify(c)} output ${j}: relative error ${err}`);
    })
  );
}

/** [kernel size, [height, width], input channels, output channels] */
const CONV_SHAPES = [
  [1, [6, 7], 3, 4],
  [1, [5, 6], 6, 2], // more input than output channels
  [3, [7, 8], 3, 4],
  [3, [8, 8], 3, 4],
  [5, [9, 6], 3, 4],
  [3, [1, 1], 3, 4], // maps so small that some taps only ever read padding
  [3, [2, 3], 3, 4],
  [5, [2, 2], 3, 4],
  // Enough input channels for the direct kernels (direct_conv.ts): 4- and 8-wide column blocks,
  // leftover columns and rows, maps where most taps read padding.
  [3, [5, 6], 9, 13],
  [3, [2, 2], 16, 12],
  [1, [4, 5], 8, 6],
  [3, [1, 1], 12, 8],
] as const;

/** A grid of small convolution cases: strides, pads, kernel sizes and maps down to 1x1. */
export function convCases(depthwise: boolean) {
  const cases: { x: number[]; f: number[]; s: number; pad: Pad }[] = [];
  const strides = depthwise ? [1, 2] : [1, 2, 3];
  const pads: Pad[] = depthwise ? ["same", "valid"] : ["same", "valid", EXPLICIT];
  for (const s of strides) {
    for (const pad of pads) {
      for (const [k, hw, cin, cout] of CONV_SHAPES) {
        if (depthwise && (k === 1 || cin !== 3)) continue;
        const kw = k === 1 ? 1 : k - 1 + (s % 2); // non-square filters too
        const x = [2, hw[0], hw[1], cin], f = [k, kw, cin, depthwise ? 1 + (s % 2) : cout];
        const out = tf.backend_util.computeConv2DInfo(x as Shape4, f as Shape4, s, 1, pad);
        if (out.outHeight > 0 && out.outWidth > 0) cases.push({ x, f, s, pad });
      }
    }
  }
  return cases;
}
