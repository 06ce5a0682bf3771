/**
 * Everything a report is drawn from. The same input comes from a training run (before the version has a
 * number) or from a registered version.
 */
import type { DataSummary } from "../artifacts/data_summary_file.ts";
import type { RocArtifact } from "../artifacts/roc_file.ts";
import type { PredictionPoints } from "../artifacts/prediction_points_file.ts";
import type { MetricsArtifact } from "../artifacts/metrics_file.ts";
import type { DataInfo } from "../data/data_info.ts";
import type { DataSchema } from "../data/data_schema.ts";
import type { ModelMeta } from "../registry/registry_types.ts";

/**
 * The version's metadata; a training run renders before registration, so the number and the creation
 * time may be missing (the report then says "new version" and shows when it was rendered).
 */
export type ReportMeta =
  & Omit<ModelMeta, "version" | "created" | "files" | "stages" | "tags">
  & Partial<Pick<ModelMeta, "version" | "created" | "stages" | "tags">>;

/** Everything renderReport draws from. Optional parts leave their section with a note saying why. */
export interface ReportInput {
  meta: ReportMeta;
  metrics: MetricsArtifact;
  /** config.json: the effective config of the run, shown as YAML. */
  config?: unknown;
  /** schema.json: the input columns. */
  schema?: DataSchema | null;
  roc?: RocArtifact | null;
  /** A regression's true and predicted values (prediction_points.json). */
  points?: PredictionPoints | null;
  data?: DataSummary | null;
  /** Column statistics of the training file (data_info.ts), when it could be read again. */
  dataInfo?: DataInfo | null;
  /** Things the reader should know about missing parts (e.g. why column statistics are absent). */
  notes?: string[];
  /** When the report was rendered (ISO 8601); passed in so output is reproducible. */
  generatedAt: string;
}
