/**
 * What a training run adds to its version folder for reports: roc.json (from the predicted
 * probabilities, which are not kept otherwise), data_summary.json (per-split class counts) and
 * report.html, rendered before the version has a number. Called from the registry's write callback,
 * so the files are hashed and published with the rest of the version.
 */
import { join } from "node:path";
import { DataSchema } from "../data/data_schema.ts";
import { buildDataSummary, DATA_SUMMARY_FILE, type SplitLabels } from "./data_summary.ts";
import { renderReport, REPORT_FILE } from "./html_report.ts";
import type { MetricsArtifact, ReportMeta } from "./report_input.ts";
import { buildRocArtifact, formatRocArtifact, ROC_FILE } from "./roc_artifact.ts";

/** Everything a run knows when it writes its artifacts. */
export interface RunReportParts {
  meta: ReportMeta;
  /** The object written to metrics.json. */
  metrics: MetricsArtifact;
  /** The effective config (config.json). */
  config: unknown;
  /**
   * The run's data: classes, input shape, splits that list their labels, and the JSON artifacts by file
   * name (a "schema.json" there lists the input columns). PreparedData has this shape.
   */
  data: SplitLabels & { artifacts?: Readonly<Record<string, unknown>> };
  /** Predicted probabilities [rows, k] of the validation and test splits, in the splits' row order. */
  probs: { val?: ArrayLike<number> | null; test?: ArrayLike<number> | null };
  /** Stamps the report; defaults to now. */
  now?: Date;
}

/** Writes roc.json, data_summary.json and report.html into `dir`; returns the files' names. */
export async function writeRunReport(dir: string, parts: RunReportParts): Promise<string[]> {
  const { data, probs } = parts;
  const scores = (p: ArrayLike<number> | null | undefined, split: SplitLabels["val"]) =>
    p && split ? { probs: p, y: split.labels() } : null;
  const roc = buildRocArtifact(
    { val: scores(probs.val, data.val), test: scores(probs.test, data.test) },
    data.classes,
  );
  const summary = buildDataSummary(data);
  const schema = DataSchema.safeParse(data.artifacts?.["schema.json"]);
  const html = renderReport({
    meta: parts.meta,
    metrics: parts.metrics,
    config: parts.config,
    schema: schema.success ? schema.data : null,
    roc,
    data: summary,
    generatedAt: (parts.now ?? new Date()).toISOString(),
  });
  await Deno.writeTextFile(join(dir, ROC_FILE), formatRocArtifact(roc));
  await Deno.writeTextFile(join(dir, DATA_SUMMARY_FILE), JSON.stringify(summary, null, 2) + "\n");
  await Deno.writeTextFile(join(dir, REPORT_FILE), html);
  return [ROC_FILE, DATA_SUMMARY_FILE, REPORT_FILE];
}
