/**
 * What a training run adds to its version folder for reports: roc.json (from the predicted
 * probabilities, which are not kept otherwise), data_summary.json (per-split class counts) and
 * report.html, rendered before the version has a number. Called from the registry's write callback,
 * so the files are hashed and published with the rest of the version.
 */
import type { ArtifactFolder } from "../artifacts/artifact_folder.ts";
import type { MetricsArtifact } from "../artifacts/metrics_file.ts";
import { JSON_ARTIFACTS, REPORT_FILE } from "../artifacts/version_files.ts";
import { POINTS_FORMAT, type PredictionPoints, samplePoints } from "../artifacts/prediction_points_file.ts";
import { type TargetScaling, unscaleTargets } from "../preprocess/target_scaling.ts";
import { DataSchema } from "../data/data_schema.ts";
import { buildDataSummary, type SplitLabels } from "./data_summary.ts";
import { renderReport } from "./html_report.ts";
import type { ReportMeta } from "./report_input.ts";
import { buildRocArtifact } from "./roc_artifact.ts";

/** Everything a run knows when it writes its artifacts. */
export interface RunReportParts {
  meta: ReportMeta;
  /** The object written to metrics.json. */
  metrics: MetricsArtifact;
  /** The effective config (config.json). */
  config: unknown;
  /**
   * The run's data: classes, input shape, splits that list their labels, and its JSON artifacts by name
   * (a `schema` there lists the input columns). PreparedData has this shape.
   */
  data: SplitLabels & {
    artifacts?: { schema?: unknown };
    /** Regression: the target's scaling, and the splits' (standardised) targets. */
    target?: TargetScaling;
    val?: (SplitLabels["val"] & { targets?(): ArrayLike<number> }) | null;
    test?: (SplitLabels["test"] & { targets?(): ArrayLike<number> }) | null;
  };
  /** Predicted probabilities [rows, k] of the validation and test splits, in the splits' row order. */
  probs: { val?: ArrayLike<number> | null; test?: ArrayLike<number> | null };
  /** Stamps the report; defaults to now. */
  now?: Date;
}

/**
 * Writes roc.json (classes) or prediction_points.json (a regression), data_summary.json and report.html
 * into `folder`; returns the files' names.
 */
export async function writeRunReport(folder: ArtifactFolder, parts: RunReportParts): Promise<string[]> {
  const { data, probs } = parts;
  const scores = (p: ArrayLike<number> | null | undefined, split: SplitLabels["val"]) =>
    p && split ? { probs: p, y: split.labels() } : null;
  const roc = data.target ? null : buildRocArtifact(
    { val: scores(probs.val, data.val), test: scores(probs.test, data.test) },
    data.classes,
  );
  const points = data.target
    ? predictionPoints(data.target, { val: data.val, test: data.test }, probs)
    : null;
  const summary = buildDataSummary(data);
  const schema = DataSchema.safeParse(data.artifacts?.schema);
  const html = renderReport({
    meta: parts.meta,
    metrics: parts.metrics,
    config: parts.config,
    schema: schema.success ? schema.data : null,
    roc,
    points,
    data: summary,
    generatedAt: (parts.now ?? new Date()).toISOString(),
  });
  if (roc) await folder.write("roc", roc);
  if (points) await folder.write("prediction_points", points);
  await folder.write("data_summary", summary);
  await Deno.writeTextFile(folder.path(REPORT_FILE), html);
  const curves = roc ? JSON_ARTIFACTS.roc.file : JSON_ARTIFACTS.prediction_points.file;
  return [curves, JSON_ARTIFACTS.data_summary.file, REPORT_FILE];
}

/** A regression's true and predicted values per split, in the target's unit. */
function predictionPoints(
  scaling: TargetScaling,
  splits: Record<"val" | "test", { targets?(): ArrayLike<number> } | null | undefined>,
  outputs: RunReportParts["probs"],
): PredictionPoints {
  const out: PredictionPoints = { format: POINTS_FORMAT, target: scaling.name, splits: {} };
  for (const name of ["val", "test"] as const) {
    const split = splits[name], z = outputs[name];
    if (!split?.targets || !z) continue;
    out.splits[name] = samplePoints(unscaleTargets(split.targets(), scaling), unscaleTargets(z, scaling));
  }
  return out;
}
