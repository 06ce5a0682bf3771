/**
 * Expected figures were computed once with scikit-learn 1.2.1 (Debian python3-sklearn, /usr/bin/python3)
 * on the same inputs cast float64 -> float32 -> float64 as a Float32Array does:
 *   accuracy_score, precision_score / recall_score / f1_score(average=macro|weighted, zero_division=0),
 *   precision_recall_fscore_support(labels=range(k), zero_division=0), confusion_matrix(labels=range(k)),
 *   roc_auc_score(y, P[:, 1]) for binary, roc_auc_score(y, P, multi_class="ovr", average="macro") and the
 *   mean of roc_auc_score(y == c, P[:, c]) over classes present in y for multiclass,
 *   log_loss(y, P, eps=1e-15, labels=range(k)), roc_curve(y == c, P[:, c]).
 * Inputs are the arrays below (P = probs reshaped [n, k]); the numbers are pasted, not recomputed.
 */
import assert from "node:assert/strict";
import {
  accuracy,
  classificationMetrics,
  type ClassificationReport,
  confusionMatrix,
  flattenMetrics,
  logLoss,
  predictedClasses,
  rocCurves,
} from "./metrics.ts";
import { rocCurve } from "./roc_curve.ts";

interface Expected {
  accuracy: number;
  macro_precision: number;
  macro_recall: number;
  macro_f1: number;
  weighted_precision: number;
  weighted_recall: number;
  weighted_f1: number;
  /** [precision, recall, f1, support] per class. */
  per_class: [number, number, number, number][];
  cm: number[][];
  auc: number;
  log_loss: number;
}

function close(actual: number | null, expected: number, what: string, tol = 1e-12): void {
  assert.ok(
    actual !== null && Math.abs(actual - expected) <= tol,
    `${what}: expected ${expected}, got ${actual}`,
  );
}

function checkReport(r: ClassificationReport, e: Expected, names: string[]): void {
  close(r.accuracy, e.accuracy, "accuracy");
  close(r.precision, e.macro_precision, "macro precision");
  close(r.recall, e.macro_recall, "macro recall");
  close(r.macro_f1, e.macro_f1, "macro f1");
  close(r.weighted_precision, e.weighted_precision, "weighted precision");
  close(r.weighted_recall, e.weighted_recall, "weighted recall");
  close(r.weighted_f1, e.weighted_f1, "weighted f1");
  close(r.auc, e.auc, "auc");
  close(r.log_loss, e.log_loss, "log loss", 1e-9);
  assert.deepEqual(r.confusion_matrix, e.cm);
  names.forEach((name, c) => {
    const [p, rec, f1, support] = e.per_class[c];
    close(r.per_class[name].precision, p, `${name} precision`);
    close(r.per_class[name].recall, rec, `${name} recall`);
    close(r.per_class[name].f1, f1, `${name} f1`);
    assert.equal(r.per_class[name].support, support);
  });
}

// Binary: tied scores across both classes, a 0.5/0.5 row (arg-max tie goes to class 0), a confident
// wrong [1, 0] row (log loss clipping) and a row [0.2, 0.5] that does not sum to 1 (renormalisation).
const BIN_SCORES = [0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.5, 0.3, 0.1, 0.0];
const BIN_PROBS = Float32Array.from([...BIN_SCORES.flatMap((s) => [1 - s, s]), 0.2, 0.5]);
const BIN_Y = Int32Array.from([1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1]);

// Three classes: class 2 is never predicted (zero division), row 1 and 3 tie between 0 and 1.
const THREE_PROBS = Float32Array.from([
  [0.7, 0.2, 0.1],
  [0.4, 0.4, 0.2],
  [0.1, 0.8, 0.1],
  [0.35, 0.35, 0.3],
  [0.2, 0.5, 0.3],
  [0.5, 0.1, 0.4],
  [0.1, 0.6, 0.3],
  [0.6, 0.3, 0.1],
  [0.3, 0.45, 0.25],
  [0.25, 0.5, 0.25],
].flat());
const THREE_Y = Int32Array.from([0, 1, 1, 2, 2, 2, 1, 0, 2, 0]);

/** 50 rows, 4 classes, from a formula also used in the sklearn script: many tied scores. */
function formulaCase(): { probs: Float32Array; y: Int32Array } {
  const n = 50, k = 4;
  const probs = new Float32Array(n * k);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const raw = Array.from({ length: k }, (_, c) => ((i * 7 + c * 13) % 10) + 1);
    const sum = raw.reduce((a, b) => a + b, 0);
    raw.forEach((v, c) => (probs[i * k + c] = v / sum));
    y[i] = (i * 5 + Math.floor(i / 7)) % k;
  }
  return { probs, y };
}

Deno.test("classificationMetrics matches sklearn on a binary problem with tied scores", () => {
  const r = classificationMetrics(BIN_PROBS, BIN_Y, 2, ["no", "yes"]);
  checkReport(r, {
    accuracy: 0.5,
    macro_precision: 0.4375,
    macro_recall: 0.4375,
    macro_f1: 0.4375,
    weighted_precision: 0.5,
    weighted_recall: 0.5,
    weighted_f1: 0.5,
    per_class: [[0.25, 0.25, 0.25, 4], [0.625, 0.625, 0.625, 8]],
    cm: [[1, 3], [3, 5]],
    auc: 0.484375,
    log_loss: 3.459646096052696,
  }, ["no", "yes"]);
  assert.equal(r.n, 12);
  assert.deepEqual(r.notes, []);
});

Deno.test("classificationMetrics gives 0 precision to a class never predicted (zero_division=0)", () => {
  const r = classificationMetrics(THREE_PROBS, THREE_Y, 3, ["a", "b", "c"]);
  checkReport(r, {
    accuracy: 0.4,
    macro_precision: 0.26666666666666666,
    macro_recall: 0.4444444444444444,
    macro_f1: 0.3333333333333333,
    weighted_precision: 0.24000000000000005,
    weighted_recall: 0.4,
    weighted_f1: 0.3,
    per_class: [[0.4, 0.6666666666666666, 0.5, 3], [0.4, 0.6666666666666666, 0.5, 3], [0, 0, 0, 4]],
    cm: [[2, 1, 0], [1, 2, 0], [2, 2, 0]],
    auc: 0.8541666666666666,
    log_loss: 0.8614585470014873,
  }, ["a", "b", "c"]);
});

Deno.test("classificationMetrics matches sklearn on four classes with many ties", () => {
  const { probs, y } = formulaCase();
  const r = classificationMetrics(probs, y, 4);
  checkReport(r, {
    accuracy: 0.32,
    macro_precision: 0.3,
    macro_recall: 0.2976190476190476,
    macro_f1: 0.2974137931034483,
    weighted_precision: 0.31466666666666665,
    weighted_recall: 0.32,
    weighted_f1: 0.31643678160919536,
    per_class: [
      [0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 15],
      [0.3333333333333333, 0.35714285714285715, 0.3448275862068965, 14],
      [0.3333333333333333, 0.35714285714285715, 0.3448275862068965, 14],
      [0.2, 0.14285714285714285, 0.16666666666666666, 7],
    ],
    cm: [[5, 6, 3, 1], [2, 5, 6, 1], [5, 2, 5, 2], [3, 2, 1, 1]],
    auc: 0.6230112587670728,
    log_loss: 1.3699364583053506,
  }, ["0", "1", "2", "3"]);
});

Deno.test("classificationMetrics skips a class absent from y in the AUC and says so", () => {
  const probs = Float32Array.from([
    [0.6, 0.3, 0.1],
    [0.2, 0.3, 0.5],
    [0.5, 0.4, 0.1],
    [0.1, 0.2, 0.7],
    [0.4, 0.2, 0.4],
    [0.3, 0.3, 0.4],
  ].flat());
  const y = Int32Array.from([0, 2, 0, 2, 0, 2]);
  const r = classificationMetrics(probs, y, 3, ["cat", "dog", "eel"]);
  checkReport(r, {
    accuracy: 1,
    macro_precision: 1,
    macro_recall: 1,
    macro_f1: 1,
    weighted_precision: 1,
    weighted_recall: 1,
    weighted_f1: 1,
    per_class: [[1, 1, 1, 3], [0, 0, 0, 0], [1, 1, 1, 3]],
    cm: [[3, 0, 0], [0, 0, 0], [0, 0, 3]],
    auc: 0.9722222222222222,
    log_loss: 0.6810627394869363,
  }, ["cat", "dog", "eel"]);
  assert.equal(r.notes.length, 1);
  assert.match(r.notes[0], /2 of 3 classes; no rows of dog/);
});

Deno.test("classificationMetrics leaves auc null when y holds one class", () => {
  const r = classificationMetrics(Float32Array.from([0.3, 0.7, 0.6, 0.4]), Int32Array.from([1, 1]), 2);
  assert.equal(r.auc, null);
  assert.match(r.notes[0], /only one class \("1"\)/);
  assert.equal("auc" in flattenMetrics(r), false);
});

Deno.test("predictedClasses breaks arg-max ties toward the first class, as numpy", () => {
  assert.deepEqual([...predictedClasses(Float32Array.from([0.2, 0.5, 0.5, 0.4, 0.1]), 5)], [1]);
  assert.deepEqual([...predictedClasses(THREE_PROBS, 3)], [0, 0, 1, 0, 1, 0, 1, 0, 1, 1]);
});

Deno.test("logLoss clips certain wrong answers at 1e-15 instead of returning Infinity", () => {
  const loss = logLoss(Float32Array.from([1, 0]), Int32Array.from([1]), 2);
  close(loss, -Math.log(1e-15), "log loss", 1e-9);
});

Deno.test("rocCurves drops collinear points as sklearn and skips a class with no rows", () => {
  const { probs, y } = formulaCase();
  const curves = rocCurves(probs, y, 4, ["a", "b", "c", "d"]);
  assert.deepEqual(Object.values(curves).map((c) => c.fpr.length), [8, 8, 8, 5]);
  const a = curves["a"];
  const fpr = [0, 0.08571428571428572, 0.17142857142857143, 0.2857142857142857, 0.6285714285714286];
  fpr.push(0.7428571428571429, 0.8857142857142857, 1);
  const tpr = [0, 0.13333333333333333, 0.26666666666666666, 0.3333333333333333, 0.8666666666666667];
  tpr.push(0.9333333333333333, 0.9333333333333333, 1);
  a.fpr.forEach((v, i) => close(v, fpr[i], `fpr[${i}]`));
  a.tpr.forEach((v, i) => close(v, tpr[i], `tpr[${i}]`));
  assert.deepEqual(a.thresholds.slice(1), [
    0.4000000059604645,
    0.375,
    0.3571428656578064,
    0.1666666716337204,
    0.15000000596046448,
    0.125,
    0.04545454680919647,
  ]);
  const all = rocCurve(Array.from({ length: 50 }, (_, i) => probs[i * 4]), y.map((c) => (c === 0 ? 1 : 0)), {
    dropIntermediate: false,
  });
  assert.equal(all.fpr.length, 11);
  const y3 = Int32Array.from([0, 2, 0, 2]);
  assert.deepEqual(Object.keys(rocCurves(Float32Array.from(Array(12).fill(1 / 3)), y3, 3)), ["0", "2"]);
});

Deno.test("accuracy and confusionMatrix reject labels outside [0, k)", () => {
  assert.throws(() => accuracy(Float32Array.from([0.5, 0.5]), Int32Array.from([2]), 2), /y\[0\].*received 2/);
  assert.throws(() => confusionMatrix(Float32Array.from([0.5]), Int32Array.from([0]), 2), /received 1/);
});

Deno.test("flattenMetrics prefixes scalars and adds per-class figures on request", () => {
  const r = classificationMetrics(THREE_PROBS, THREE_Y, 3, ["a", "b", "c"]);
  const flat = flattenMetrics(r, { prefix: "val." });
  assert.equal(flat["val.accuracy"], 0.4);
  assert.equal(flat["val.macro_f1"], r.macro_f1);
  assert.equal(flat["val.auc"], r.auc);
  assert.equal(Object.keys(flat).some((key) => key.includes("per_class")), false);
  const withClasses = flattenMetrics(r, { perClass: true });
  assert.equal(withClasses["per_class.c.precision"], 0);
  assert.equal(withClasses["per_class.a.support"], 3);
  assert.ok(Object.values(withClasses).every((v) => typeof v === "number" && Number.isFinite(v)));
});
