import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { stratifiedSplit } from "./split.ts";

/** Labels with `counts[c]` rows of class c, interleaved so classes are not contiguous. */
function labelsOf(counts: number[]): Int32Array {
  const out: number[] = [];
  const left = [...counts];
  while (left.some((n) => n > 0)) {
    left.forEach((n, c) => {
      if (n > 0) {
        out.push(c);
        left[c]--;
      }
    });
  }
  return Int32Array.from(out);
}

function classCounts(labels: Int32Array, rows: Int32Array, k: number): number[] {
  const counts = new Array(k).fill(0);
  for (const r of rows) counts[labels[r]]++;
  return counts;
}

function assertPartition(n: number, s: { train: Int32Array; val: Int32Array; test: Int32Array }) {
  const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: n }, (_, i) => i));
  for (const part of [s.train, s.val, s.test]) {
    for (let i = 1; i < part.length; i++) assert.ok(part[i - 1] < part[i], "indices ascend");
  }
}

Deno.test("stratifiedSplit keeps each class's proportion in every split", () => {
  const labels = labelsOf([100, 50, 30]);
  const s = stratifiedSplit(labels, { validation: 0.2, test: 0.1, seed: 7 });
  assertPartition(180, s);
  assert.deepEqual(classCounts(labels, s.test, 3), [10, 5, 3]);
  assert.deepEqual(classCounts(labels, s.val, 3), [20, 10, 6]);
  assert.deepEqual(classCounts(labels, s.train, 3), [70, 35, 21]);
});

Deno.test("stratifiedSplit allocates leftover rows to the largest remainders", () => {
  // Exact test shares 1.4 and 1.0, total round(2.4) = 2; validation the same.
  const labels = labelsOf([7, 5]);
  const s = stratifiedSplit(labels, { validation: 0.2, test: 0.2, seed: 1 });
  assert.deepEqual(classCounts(labels, s.test, 2), [1, 1]);
  assert.deepEqual(classCounts(labels, s.val, 2), [1, 1]);
  assert.deepEqual(classCounts(labels, s.train, 2), [5, 3]);
  // Shares 2.7 / 0.3: total round(3.0) = 3 -> floors 2 / 0, the leftover row to class 0 (remainder 0.7),
  // then class 1 (3 rows) is raised to one row.
  const skew = labelsOf([27, 3]);
  const t = stratifiedSplit(skew, { validation: 0, test: 0.1, seed: 1 });
  assert.deepEqual(classCounts(skew, t.test, 2), [3, 1]);
});

Deno.test("stratifiedSplit gives every class with >= 3 rows a row in each split", () => {
  const labels = labelsOf([40, 3, 3, 2, 1]);
  const s = stratifiedSplit(labels, { validation: 0.1, test: 0.1, seed: 3 });
  assertPartition(49, s);
  const test = classCounts(labels, s.test, 5);
  const val = classCounts(labels, s.val, 5);
  const train = classCounts(labels, s.train, 5);
  assert.deepEqual([test[1], val[1], train[1]], [1, 1, 1]);
  assert.deepEqual([test[2], val[2], train[2]], [1, 1, 1]);
  assert.ok(train[3] >= 1 && test[3] + val[3] <= 1, "a 2-row class keeps a training row");
  assert.deepEqual([test[4], val[4], train[4]], [0, 0, 1]);
});

Deno.test("stratifiedSplit is deterministic for a seed and shuffles within classes", () => {
  const labels = labelsOf([60, 40]);
  const a = stratifiedSplit(labels, { validation: 0.25, test: 0.25, seed: 11 });
  const b = stratifiedSplit(labels, { validation: 0.25, test: 0.25, seed: 11 });
  const c = stratifiedSplit(labels, { validation: 0.25, test: 0.25, seed: 12 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.val, c.val);
  // Not simply the first rows of each class.
  assert.notDeepEqual(Array.from(a.test), [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
  ]);
});

Deno.test("stratifiedSplit allows no test or no validation split", () => {
  const labels = labelsOf([30, 20]);
  const noTest = stratifiedSplit(labels, { validation: 0.2, test: 0, seed: 5 });
  assert.equal(noTest.test.length, 0);
  assert.deepEqual(classCounts(labels, noTest.val, 2), [6, 4]);
  const noVal = stratifiedSplit(labels, { validation: 0, test: 0.2, seed: 5 });
  assert.equal(noVal.val.length, 0);
  assert.equal(noVal.test.length, 10);
  assert.equal(noVal.train.length, 40);
});

Deno.test("stratifiedSplit without stratify cuts one shuffled order by the fractions", () => {
  const labels = labelsOf([90, 10]);
  const s = stratifiedSplit(labels, { validation: 0.2, test: 0.1, seed: 9, stratify: false });
  assertPartition(100, s);
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [70, 20, 10]);
  assert.deepEqual(s, stratifiedSplit(labels, { validation: 0.2, test: 0.1, seed: 9, stratify: false }));
});

Deno.test("stratifiedSplit reports a split that would be empty", () => {
  assert.throws(
    () => stratifiedSplit(Int32Array.from([0, 1]), { validation: 0, test: 0.2, seed: 1 }),
    (e: unknown) => {
      assert.ok(e instanceof MmmlError);
      assert.equal(e.code, "invalid_input");
      assert.match(e.message, /Cannot split 2 rows: the test split \(fraction 0\.2\) would be empty/);
      assert.match(e.message, /set data\.split\.test to 0/);
      return true;
    },
  );
  assert.throws(
    () => stratifiedSplit(Int32Array.from([0, 1, 0]), { validation: 0.1, test: 0, seed: 1, stratify: false }),
    /the validation split .* would be empty/,
  );
  assert.throws(
    () => stratifiedSplit(new Int32Array(0), { validation: 0.1, test: 0.1, seed: 1 }),
    /Cannot split 0 rows/,
  );
  assert.throws(
    () => stratifiedSplit(labelsOf([5, 5]), { validation: 0.5, test: 0.5, seed: 1 }),
    (e: unknown) =>
      e instanceof MmmlError && e.code === "config_invalid" && /must be below 1/.test(e.message),
  );
});
