/**
 * Expected points were computed once with scikit-learn 1.2.1 (Debian python3-sklearn, /usr/bin/python3):
 * roc_curve(positives, scores) with scores cast float64 -> float32 -> float64 as a Float32Array does,
 * and roc_auc_score on the same inputs; the numbers are pasted, not recomputed.
 */
import assert from "node:assert/strict";
import { binaryAuc, rocCurve } from "./roc_curve.ts";

// Tied scores across both classes; the last row stands for an un-normalised [0.2, 0.5] prediction.
const SCORES = Float32Array.from([0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.5, 0.3, 0.1, 0.0, 0.5]);
const POSITIVES = Int32Array.from([1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1]);

Deno.test("binaryAuc gives ties half credit", () => {
  // One positive and one negative with the same score: a coin flip.
  assert.equal(binaryAuc([0.5, 0.5], [1, 0]), 0.5);
  assert.equal(binaryAuc([0.1, 0.9, 0.5], [0, 1, 1]), 1);
  assert.equal(binaryAuc([0.1, 0.9], [0, 0]), null);
  // sklearn roc_auc_score on SCORES / POSITIVES.
  assert.equal(binaryAuc(SCORES, POSITIVES), 0.484375);
});

Deno.test("rocCurve matches sklearn's points and thresholds, ties collapsed", () => {
  const c = rocCurve(SCORES, POSITIVES);
  assert.deepEqual(c.fpr, [0, 0, 0.25, 0.25, 0.75, 0.75, 0.75, 1, 1]);
  assert.deepEqual(c.tpr, [0, 0.125, 0.25, 0.375, 0.5, 0.75, 0.875, 0.875, 1]);
  // sklearn 1.2 starts at max + 1; 1.3+ (and this code) at Infinity.
  assert.equal(c.thresholds[0], Infinity);
  assert.deepEqual(c.thresholds.slice(1), [
    0.8999999761581421,
    0.800000011920929,
    0.699999988079071,
    0.6000000238418579,
    0.5,
    0.30000001192092896,
    0.10000000149011612,
    0,
  ]);
});

Deno.test("rocCurve refuses scores without a negative", () => {
  assert.throws(() => rocCurve([0.2, 0.4], [1, 1]), /positives and negatives, received 2 and 0/);
});
