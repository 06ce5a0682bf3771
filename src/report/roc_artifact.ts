/**
 * roc.json: the one-vs-rest ROC curve of each class on the validation and test splits, computed at
 * train time from the predicted probabilities (which are not kept), so a report drawn later, anywhere,
 * has the curves. Curves are thinned to at most `maxPoints` points and rounded to 1e-4, far below a
 * pixel, so the file stays a few kilobytes whatever the split's size; AUCs come from the full data.
 */
import { binaryAuc, rocCurve } from "../evaluation/roc_curve.ts";
import { ROC_FORMAT, type RocArtifact, type RocClassCurve, type RocSplit } from "../artifacts/roc_file.ts";

/** Predicted probabilities of one split (row-major [n, k]) and the true class index of each row. */
export interface SplitScores {
  probs: ArrayLike<number>;
  y: ArrayLike<number>;
}

/**
 * Points per curve by default: 101, fewer with many classes so a split's curves stay near 10,000 points
 * in all (21 at least, still a readable curve): about 1.5 MB for 1,000 classes instead of 7.
 */
export function defaultMaxPoints(k: number): number {
  return Math.max(21, Math.min(101, Math.floor(10_000 / Math.max(1, k))));
}

/**
 * Builds roc.json's content from the probabilities of the splits that exist; `classes` names the k
 * outputs in order. Throws RangeError when probs is not n * k values or a label is not a class index.
 */
export function buildRocArtifact(
  splits: { val?: SplitScores | null; test?: SplitScores | null },
  classes: readonly string[],
  { maxPoints = defaultMaxPoints(classes.length) }: { maxPoints?: number } = {},
): RocArtifact {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(`maxPoints must be an integer >= 2, received ${maxPoints}`);
  }
  const out: RocArtifact = { format: ROC_FORMAT, max_points: maxPoints, splits: {} };
  for (const name of ["val", "test"] as const) {
    const scores = splits[name];
    if (scores) out.splits[name] = rocSplit(scores, classes, maxPoints);
  }
  return out;
}

function rocSplit({ probs, y }: SplitScores, classes: readonly string[], maxPoints: number): RocSplit {
  const k = classes.length;
  const n = y.length;
  if (k < 2) throw new RangeError(`ROC curves need at least 2 classes, received ${k}`);
  if (n === 0) throw new RangeError("ROC curves need at least one row, received 0 labels");
  if (probs.length !== n * k) {
    throw new RangeError(`probs must hold n*k = ${n}*${k} = ${n * k} values, received ${probs.length}`);
  }
  const curves: RocClassCurve[] = [];
  const skipped: string[] = [];
  const scores = new Float64Array(n);
  const positives = new Uint8Array(n);
  for (let c = 0; c < k; c++) {
    let count = 0;
    for (let i = 0; i < n; i++) {
      const label = y[i];
      if (!Number.isInteger(label) || label < 0 || label >= k) {
        throw new RangeError(`y[${i}] must be a class index in [0, ${k}), received ${label}`);
      }
      scores[i] = probs[i * k + c];
      positives[i] = label === c ? 1 : 0;
      count += positives[i];
    }
    const auc = binaryAuc(scores, positives);
    if (auc === null) {
      skipped.push(classes[c]);
      continue;
    }
    const curve = rocCurve(scores, positives);
    const [fpr, tpr] = thinCurve(curve.fpr, curve.tpr, maxPoints);
    curves.push({ class: classes[c], auc, positives: count, fpr, tpr });
  }
  return { n, curves, skipped };
}

/**
 * At most `maxPoints` points of a ROC curve, both ends kept, spread evenly along the curve's length
 * (fpr + tpr grows monotonically from 0 to 2, so it measures how far along the curve a point is),
 * then rounded to 1e-4.
 */
export function thinCurve(
  fpr: readonly number[],
  tpr: readonly number[],
  maxPoints: number,
): [number[], number[]] {
  let keep: number[];
  if (fpr.length <= maxPoints) {
    keep = fpr.map((_, i) => i);
  } else {
    const picked = new Set<number>([0, fpr.length - 1]);
    let i = 0;
    for (let j = 1; j < maxPoints - 1; j++) {
      const target = (2 * j) / (maxPoints - 1);
      while (i < fpr.length - 1 && fpr[i] + tpr[i] < target) i++;
      picked.add(i);
    }
    keep = [...picked].sort((a, b) => a - b);
  }
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  return [keep.map((i) => round(fpr[i])), keep.map((i) => round(tpr[i]))];
}
