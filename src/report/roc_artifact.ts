/**
 * roc.json: the one-vs-rest ROC curve of each class on the validation and test splits, computed at
 * train time from the predicted probabilities (which are not kept), so a report drawn later, anywhere,
 * has the curves. Curves are thinned to at most `maxPoints` points and rounded to 1e-4, far below a
 * pixel, so the file stays a few kilobytes whatever the split's size; AUCs come from the full data.
 */
import { z } from "zod";
import { binaryAuc, rocCurve } from "../evaluation/roc_curve.ts";
import { parseArtifact } from "./parse_artifact.ts";

/** The file's format tag; a reader refuses any other. */
export const ROC_FORMAT = "mmml.roc/1";

/** File name of the artifact in a version folder. */
export const ROC_FILE = "roc.json";

const rate = z.number().min(0).max(1);

/** One class's curve: its AUC over all rows and the (thinned) points, starting at (0, 0). */
export const RocClassCurve = z.object({
  class: z.string(),
  auc: z.number().min(0).max(1),
  /** Rows of this class in the split. */
  positives: z.number().int().positive(),
  fpr: z.array(rate).min(2),
  tpr: z.array(rate).min(2),
}).refine((c) => c.fpr.length === c.tpr.length, { message: "fpr and tpr must be of equal length" });
export type RocClassCurve = z.infer<typeof RocClassCurve>;

/** The curves of one split; a class with no rows (or only rows) in it has no curve and is listed. */
export const RocSplit = z.object({
  n: z.number().int().positive(),
  curves: z.array(RocClassCurve),
  skipped: z.array(z.string()),
});
export type RocSplit = z.infer<typeof RocSplit>;

// Plain z.object, not strictObject: the file is machine-written, and a later version may add fields
// that an older reader should ignore rather than refuse.
/** The whole roc.json. */
export const RocArtifact = z.object({
  format: z.literal(ROC_FORMAT),
  max_points: z.number().int().min(2),
  splits: z.object({ val: RocSplit.optional(), test: RocSplit.optional() }),
});
export type RocArtifact = z.infer<typeof RocArtifact>;

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

/** Checks parsed JSON against RocArtifact; `where` names the file for the error message. */
export function parseRocArtifact(value: unknown, where = ROC_FILE): RocArtifact {
  return parseArtifact(RocArtifact, value, where);
}

/** roc.json's text: one line, since pretty-printing would put every number on its own line. */
export function formatRocArtifact(roc: RocArtifact): string {
  return JSON.stringify(roc) + "\n";
}
