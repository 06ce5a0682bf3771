/**
 * roc.json: the one-vs-rest ROC curves of each class on the validation and test splits (computed at
 * train time by src/report/roc_artifact.ts, since the predicted probabilities are not kept).
 */
import { z } from "zod";
import { parseArtifact } from "./parse_artifact.ts";

/** The file's format tag; a reader refuses any other. */
export const ROC_FORMAT = "mmml.roc/1";

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

/** Checks parsed JSON against RocArtifact; `where` names the file for the error message. */
export function parseRocArtifact(value: unknown, where = "roc.json"): RocArtifact {
  return parseArtifact(RocArtifact, value, where);
}

/** roc.json's text: one line, since pretty-printing would put every number on its own line. */
export function formatRocArtifact(roc: RocArtifact): string {
  return JSON.stringify(roc) + "\n";
}
