/**
 * Classification metrics over predicted probabilities, with scikit-learn's semantics so that figures
 * compare one to one with the PyTorch reference: `probs` is row-major [n, k], `y` the true class index
 * of each row. Pure functions; no tensors.
 */
import { binaryAuc, type RocCurve, rocCurve } from "./roc_curve.ts";

/** Precision, recall and F1 of one class, and its support (rows whose true class it is). */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Everything `evaluate` and `train` report about a classifier on one split. */
export interface ClassificationReport {
  n: number;
  accuracy: number;
  macro_f1: number;
  weighted_f1: number;
  /** Macro average. */
  precision: number;
  /** Macro average. */
  recall: number;
  weighted_precision: number;
  weighted_recall: number;
  /** Binary: AUC of the positive class; multiclass: one-vs-rest macro. null when undefined (see notes). */
  auc: number | null;
  log_loss: number;
  /** Rows are true classes, columns predicted ones, in class order. */
  confusion_matrix: number[][];
  per_class: Record<string, ClassMetrics>;
  /** Why a figure is missing or narrower than usual (a class absent from y, say). */
  notes: string[];
}

interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

/** Per class, macro and weighted precision/recall/F1. */
export interface PrecisionRecallF1 {
  per_class: ClassMetrics[];
  macro: Averages;
  weighted: Averages;
}

function checkInputs(probs: ArrayLike<number>, y: ArrayLike<number>, k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, received ${k}`);
  const n = y.length;
  if (n === 0) throw new RangeError("metrics need at least one row, received 0 labels");
  if (probs.length !== n * k) {
    throw new RangeError(`probs must hold n*k = ${n}*${k} = ${n * k} values, received ${probs.length}`);
  }
  for (let i = 0; i < n; i++) {
    const c = y[i];
    if (!Number.isInteger(c) || c < 0 || c >= k) {
      throw new RangeError(`y[${i}] must be a class index in [0, ${k}), received ${c}`);
    }
  }
  return n;
}

/** Arg-max of each row; on a tie the first class wins, as numpy's argmax. */
export function predictedClasses(probs: ArrayLike<number>, k: number): Int32Array {
  const n = Math.floor(probs.length / k);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestP = probs[i * k];
    for (let c = 1; c < k; c++) {
      const p = probs[i * k + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Share of rows whose arg-max is the true class. */
export function accuracy(probs: ArrayLike<number>, y: ArrayLike<number>, k: number): number {
  const n = checkInputs(probs, y, k);
  const pred = predictedClasses(probs, k);
  let hit = 0;
  for (let i = 0; i < n; i++) if (pred[i] === y[i]) hit++;
  return hit / n;
}

/** k x k counts; rows are true classes, columns predicted classes (sklearn's layout). */
export function confusionMatrix(probs: ArrayLike<number>, y: ArrayLike<number>, k: number): number[][] {
  const n = checkInputs(probs, y, k);
  const pred = predictedClasses(probs, k);
  const cm = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < n; i++) cm[y[i]][pred[i]]++;
  return cm;
}

/**
 * Precision, recall and F1 per class with zero_division=0, and their macro and weighted averages. As
 * sklearn without `labels`, the averages run over classes that occur in `y` or in the predictions: a
 * class the data never mentions says nothing about the model and would only drag the macro down.
 */
export function precisionRecallF1(
  probs: ArrayLike<number>,
  y: ArrayLike<number>,
  k: number,
): PrecisionRecallF1 {
  const cm = confusionMatrix(probs, y, k);
  const perClass: ClassMetrics[] = [];
  const macro = { precision: 0, recall: 0, f1: 0 };
  const weighted = { precision: 0, recall: 0, f1: 0 };
  let present = 0;
  let total = 0;
  for (let c = 0; c < k; c++) {
    const tp = cm[c][c];
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += cm[c][j];
      predicted += cm[j][c];
    }
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass.push({ precision, recall, f1, support });
    if (support > 0 || predicted > 0) {
      present++;
      macro.precision += precision;
      macro.recall += recall;
      macro.f1 += f1;
    }
    total += support;
    weighted.precision += precision * support;
    weighted.recall += recall * support;
    weighted.f1 += f1 * support;
  }
  for (const key of ["precision", "recall", "f1"] as const) {
    macro[key] /= present;
    weighted[key] /= total;
  }
  return { per_class: perClass, macro, weighted };
}

function column(probs: ArrayLike<number>, k: number, c: number): Float64Array {
  const n = Math.floor(probs.length / k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = probs[i * k + c];
  return out;
}

function isClass(y: ArrayLike<number>, c: number): Uint8Array {
  const out = new Uint8Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = y[i] === c ? 1 : 0;
  return out;
}

/**
 * ROC AUC: binary (k = 2) is the AUC of class 1's probability; multiclass is the one-vs-rest macro
 * average over the classes present in `y` (sklearn refuses a class with no rows; skipping it and saying
 * so keeps a small validation split usable). `auc` is null when no class can be scored.
 */
export function rocAuc(
  probs: ArrayLike<number>,
  y: ArrayLike<number>,
  k: number,
  classNames: readonly string[] = defaultNames(k),
): { auc: number | null; per_class: (number | null)[]; notes: string[] } {
  checkInputs(probs, y, k);
  const notes: string[] = [];
  const perClass: (number | null)[] = [];
  const skipped: string[] = [];
  let sum = 0;
  let scored = 0;
  for (let c = 0; c < k; c++) {
    const auc = binaryAuc(column(probs, k, c), isClass(y, c));
    perClass.push(auc);
    if (auc === null) {
      skipped.push(classNames[c]);
    } else {
      sum += auc;
      scored++;
    }
  }
  if (scored === 0) {
    notes.push(`auc: undefined, y holds only one class ("${classNames[y[0]]}")`);
    return { auc: null, per_class: perClass, notes };
  }
  // Binary: the positive class's own AUC, as sklearn's roc_auc_score(y, probs[:, 1]).
  if (k === 2) return { auc: perClass[1], per_class: perClass, notes };
  if (skipped.length > 0) {
    notes.push(`auc: one-vs-rest macro over ${scored} of ${k} classes; no rows of ${skipped.join(", ")}`);
  }
  return { auc: sum / scored, per_class: perClass, notes };
}

/**
 * Mean negative log-likelihood of the true class, as sklearn's `log_loss`: probabilities clipped to
 * [eps, 1 - eps], then each row renormalised to sum to 1.
 */
export function logLoss(
  probs: ArrayLike<number>,
  y: ArrayLike<number>,
  k: number,
  { eps = 1e-15 }: { eps?: number } = {},
): number {
  const n = checkInputs(probs, y, k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let rowSum = 0;
    for (let c = 0; c < k; c++) rowSum += Math.min(Math.max(probs[i * k + c], eps), 1 - eps);
    const p = Math.min(Math.max(probs[i * k + y[i]], eps), 1 - eps) / rowSum;
    total -= Math.log(p);
  }
  return total / n;
}

/** One-vs-rest ROC curve of each class present in `y` (and absent from it in some row), by class name. */
export function rocCurves(
  probs: ArrayLike<number>,
  y: ArrayLike<number>,
  k: number,
  classNames: readonly string[] = defaultNames(k),
): Record<string, RocCurve> {
  checkInputs(probs, y, k);
  checkNames(classNames, k);
  const out: Record<string, RocCurve> = {};
  for (let c = 0; c < k; c++) {
    const positives = isClass(y, c);
    const nPos = positives.reduce((a, b) => a + b, 0);
    if (nPos === 0 || nPos === y.length) continue;
    out[classNames[c]] = rocCurve(column(probs, k, c), positives);
  }
  return out;
}

function defaultNames(k: number): string[] {
  return Array.from({ length: k }, (_, i) => String(i));
}

function checkNames(classNames: readonly string[], k: number): void {
  if (classNames.length !== k) {
    throw new RangeError(`classNames must name all ${k} classes, received ${classNames.length}`);
  }
  if (new Set(classNames).size !== k) {
    throw new RangeError(`classNames must be distinct, received ${JSON.stringify(classNames)}`);
  }
}

/** All the metrics of one split in one report; class names default to "0".."k-1". */
export function classificationMetrics(
  probs: ArrayLike<number>,
  y: ArrayLike<number>,
  k: number,
  classNames: readonly string[] = defaultNames(k),
): ClassificationReport {
  const n = checkInputs(probs, y, k);
  checkNames(classNames, k);
  const prf = precisionRecallF1(probs, y, k);
  const roc = rocAuc(probs, y, k, classNames);
  const perClass: Record<string, ClassMetrics> = {};
  classNames.forEach((name, c) => (perClass[name] = prf.per_class[c]));
  return {
    n,
    accuracy: accuracy(probs, y, k),
    macro_f1: prf.macro.f1,
    weighted_f1: prf.weighted.f1,
    precision: prf.macro.precision,
    recall: prf.macro.recall,
    weighted_precision: prf.weighted.precision,
    weighted_recall: prf.weighted.recall,
    auc: roc.auc,
    log_loss: logLoss(probs, y, k),
    confusion_matrix: confusionMatrix(probs, y, k),
    per_class: perClass,
    notes: roc.notes,
  };
}

const SCALARS = [
  "n",
  "accuracy",
  "macro_f1",
  "weighted_f1",
  "precision",
  "recall",
  "weighted_precision",
  "weighted_recall",
  "auc",
  "log_loss",
] as const satisfies readonly (keyof ClassificationReport)[];

/**
 * The report's scalars as a flat map for ModelMeta.metrics (`prefix: "val."` gives "val.accuracy").
 * A null auc is left out rather than written as NaN. `perClass` adds "per_class.<name>.f1" and friends,
 * off by default because a thousand-class model would flood the registry's metadata.
 */
export function flattenMetrics(
  report: ClassificationReport,
  { prefix = "", perClass = false }: { prefix?: string; perClass?: boolean } = {},
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of SCALARS) {
    const value = report[key];
    if (typeof value === "number") out[prefix + key] = value;
  }
  if (perClass) {
    for (const [name, m] of Object.entries(report.per_class)) {
      for (const field of ["precision", "recall", "f1", "support"] as const) {
        out[`${prefix}per_class.${name}.${field}`] = m[field];
      }
    }
  }
  return out;
}
