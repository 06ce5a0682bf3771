/**
 * metrics.json: what a run measured. The schema follows the ClassificationReport the evaluation writes
 * (src/evaluation/metrics.ts); readers (report, registry) parse the file with it.
 */
import { z } from "zod";
import type { ClassificationReport } from "../evaluation/metrics.ts";
import { parseArtifact } from "./parse_artifact.ts";

const ClassMetrics = z.object({
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.number().int().nonnegative(),
});

/** One split's ClassificationReport (training/metrics.ts) as stored in metrics.json. */
export const SplitReport = z.object({
  n: z.number().int().positive(),
  accuracy: z.number(),
  macro_f1: z.number(),
  weighted_f1: z.number(),
  precision: z.number(),
  recall: z.number(),
  weighted_precision: z.number(),
  weighted_recall: z.number(),
  auc: z.number().nullable(),
  log_loss: z.number(),
  confusion_matrix: z.array(z.array(z.number().int().nonnegative())),
  per_class: z.record(z.string(), ClassMetrics),
  notes: z.array(z.string()).default([]),
});
export type SplitReport = z.infer<typeof SplitReport>;

// If ClassificationReport gains a required field, this stops compiling: the schema must follow it.
const _sameShape: ClassificationReport = {} as SplitReport satisfies ClassificationReport;
void _sameShape;

/** One split's RegressionReport (src/evaluation/regression_metrics.ts) as stored in metrics.json. */
export const RegressionSplitReport = z.object({
  n: z.number().int().positive(),
  rmse: z.number(),
  mae: z.number(),
  r2: z.number(),
  mape: z.number().nullable(),
  target_mean: z.number(),
  target_std: z.number(),
});
export type RegressionSplitReport = z.infer<typeof RegressionSplitReport>;

/** A split of either kind: classes (with a confusion matrix) or a regression (with an RMSE). */
export const AnySplitReport = z.union([SplitReport, RegressionSplitReport]);

/** Whether a stored split is a classification report. */
export function isClassificationSplit(
  r: SplitReport | RegressionSplitReport | null | undefined,
): r is SplitReport {
  return r != null && "confusion_matrix" in r;
}

// Plain z.object: machine-written, and a later trainer may add fields an older report ignores.
/**
 * metrics.json: val and test reports (null when the split is empty), the per-epoch history (JSON turns
 * a NaN loss into null), and the engine and backend the run used.
 */
export const MetricsArtifact = z.object({
  val: AnySplitReport.nullable().default(null),
  test: AnySplitReport.nullable().default(null),
  test_source: z.string().optional(),
  history: z.array(z.record(z.string(), z.number().nullable())).default([]),
  engine: z.string().optional(),
  engine_reason: z.string().optional(),
  backend: z.union([
    z.string(),
    z.object({ name: z.string(), reason: z.string().optional() }),
  ]).optional(),
});
export type MetricsArtifact = z.infer<typeof MetricsArtifact>;

/** Checks parsed metrics.json; `where` names the file for the error message. */
export function parseMetricsArtifact(value: unknown, where = "metrics.json"): MetricsArtifact {
  return parseArtifact(MetricsArtifact, value, where);
}
