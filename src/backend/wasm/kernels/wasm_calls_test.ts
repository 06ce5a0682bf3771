import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../choose.ts";
import { matrixSwap } from "./heap_copies.ts";
import { wasmBackend, WasmCalls } from "./wasm_calls.ts";

await useBackend("wasm");

function withCalls<T>(fn: (ops: WasmCalls) => T): T {
  const ops = new WasmCalls(wasmBackend(tf.backend()));
  try {
    return fn(ops);
  } finally {
    ops.dispose();
  }
}

Deno.test("WasmCalls.slice copies contiguous runs and matches tf.slice, partial axes anywhere", () => {
  const x = tf.range(0, 4 * 5 * 6 * 70).reshape([4, 5, 6, 70]);
  const int = tf.cast(x, "int32");
  const cases: [number[], number[]][] = [
    [[0, 0, 0, 0], [4, 5, 6, 70]], // whole
    [[1, 0, 0, 0], [2, 5, 6, 70]], // leading axis only
    [[1, 2, 0, 0], [2, 3, 6, 70]],
    [[0, 1, 2, 0], [4, 3, 2, 70]],
    [[0, 0, 0, 3], [4, 5, 6, 66]], // partial last axis: runs of 66
    [[3, 4, 5, 5], [1, 1, 1, 1]], // too short a run: the built-in kernel
  ];
  const before = tf.memory().numTensors;
  for (const [begin, size] of cases) {
    for (const t of [x, int]) {
      const got = withCalls((ops) => Array.from(ops.heap(ops.slice(t, begin, size)).slice()));
      const expected = tf.tidy(() => Array.from(tf.slice(t, begin, size).dataSync()));
      assert.deepEqual(got, expected, `${t.dtype} ${begin} ${size}`);
    }
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, int]);
});

Deno.test("WasmCalls.flipSpatial reverses a filter in both spatial axes", () => {
  const f = tf.range(0, 3 * 2 * 4 * 5).reshape([3, 2, 4, 5]);
  const got = withCalls((ops) => Array.from(ops.heap(ops.flipSpatial(f)).slice()));
  assert.deepEqual(got, Array.from(tf.reverse(f, [0, 1]).dataSync()));
  f.dispose();
});

Deno.test("WasmCalls.transpose matches tf.transpose, as matrix swaps and through the built-in kernel", () => {
  const x = tf.range(0, 2 * 3 * 1 * 4 * 5).reshape([2, 3, 1, 4, 5]);
  const perms = [[0, 1, 2, 4, 3], [4, 3, 2, 1, 0], [3, 4, 2, 0, 1], [0, 3, 4, 1, 2], [1, 0, 2, 3, 4], [
    0,
    1,
    2,
    3,
    4,
  ]];
  assert.deepEqual(matrixSwap([2, 3, 1, 4, 5], [3, 4, 2, 0, 1]), [1, 6, 20]); // [2*3, 4*5] -> [4*5, 2*3]
  assert.deepEqual(matrixSwap([2, 3, 1, 4, 5], [0, 3, 4, 1, 2]), [2, 3, 20]);
  assert.equal(matrixSwap([2, 3, 1, 4, 5], [4, 3, 2, 1, 0]), undefined);
  const before = tf.memory().numTensors;
  for (const perm of perms) {
    for (const t of [x, tf.cast(x, "int32")]) {
      const got = withCalls((ops) => {
        const out = ops.transpose(t, perm);
        return { shape: out.shape, values: Array.from(ops.heap(out).slice()) };
      });
      const expected = tf.tidy(() => tf.transpose(t, perm));
      assert.deepEqual(
        got,
        { shape: expected.shape, values: Array.from(expected.dataSync()) },
        `${t.dtype} ${perm}`,
      );
      expected.dispose();
      if (t !== x) t.dispose();
    }
  }
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});
