/**
 * Scores a loaded model on a labelled CSV file: the file is validated against the saved schema with the
 * label required, labels are encoded with the model's own classes (a label it never saw is an error
 * naming the line and value), and the metrics are those training reports for its test split.
 */
import { readCsv } from "../data/csv_adapter.ts";
import { encodeLabels } from "../data/label_encoding.ts";
import { validateTable } from "../data/schema_validator.ts";
import type { Logger } from "../log.ts";
import { classificationMetrics, type ClassificationReport } from "../evaluation/metrics.ts";
import { requireTabular, type TrainedModel } from "./load_trained.ts";
import { scoreTable, type UnknownCategories } from "./predict.ts";

/** The `--json` body of `mmml evaluate`, plus the unseen categories met on the way. */
export interface EvaluationResult {
  rows: number;
  metrics: ClassificationReport;
  unknown: Record<string, UnknownCategories>;
}

/** Reads `path`, predicts every row and compares with its labels. */
export async function runEvaluation(
  trained: TrainedModel,
  path: string,
  { logger }: { logger?: Logger } = {},
): Promise<EvaluationResult> {
  const tabular = requireTabular(trained, "evaluating on a CSV file");
  const table = await readCsv(path, { delimiter: tabular.delimiter });
  validateTable(table, tabular.schema, { requireLabel: true });
  const { y } = encodeLabels(table, tabular.schema.label, tabular.classes);
  const scored = await scoreTable(tabular, table, logger);
  const metrics = classificationMetrics(scored.probs, y, tabular.classes.length, tabular.classes);
  return { rows: scored.rows, metrics, unknown: scored.unknown };
}
