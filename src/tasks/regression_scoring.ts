/**
 * `mmml predict` and `mmml evaluate` for a regression: rows go through the version's schema and
 * preprocessor like a classifier's (tabular_scoring.ts), the model's standardised output is turned back
 * into the target's unit with the saved scaling, and evaluation compares it with the label column.
 */
import { validateTable } from "../data/schema_validator.ts";
import { encodeTargets } from "../data/target_encoding.ts";
import { MmmlError } from "../errors.ts";
import { regressionMetrics, type RegressionReport } from "../evaluation/regression_metrics.ts";
import { unscaleTargets } from "../preprocess/target_scaling.ts";
import {
  extraTableColumns,
  readInputTable,
  readPredictionTable,
  scoreTable,
  type UnknownCategories,
} from "./tabular_scoring.ts";
import { withKeptColumns } from "./kept_columns.ts";
import type { ScoringOptions } from "./task_rules.ts";
import { requireTabular, type TrainedModel, type TrainedTabular } from "./trained_model.ts";

/** One output line of `mmml predict` for a regression; `row` is the 0-based data row of the input file. */
export interface ValuePrediction {
  row: number;
  value: number;
}

/** The predictions and the unseen categories met on the way. */
export interface RegressionPredictions {
  predictions: ValuePrediction[];
  unknown: Record<string, UnknownCategories>;
  /** Input columns the model does not read. */
  ignored_columns: string[];
}

export interface RegressionEvaluation {
  rows: number;
  metrics: RegressionReport;
  unknown: Record<string, UnknownCategories>;
}

function scalingOf(trained: TrainedTabular) {
  const scaling = trained.preprocessor.target;
  if (!scaling) {
    const { name, version } = trained.version.meta;
    throw new MmmlError("artifact_corrupt", `${name}@${version}: preprocessor.json has no target scaling`);
  }
  return scaling;
}

/** Reads `path` and predicts every row's value. */
export async function runRegressionPrediction(
  model: TrainedModel,
  path: string,
  options: ScoringOptions = {},
): Promise<RegressionPredictions> {
  const { logger, strictColumns, keepColumns } = options;
  const trained = requireTabular(model, "predicting a CSV file");
  const table = await readPredictionTable(trained, path, options);
  const ignored = extraTableColumns(trained, table, { strict: strictColumns, logger });
  validateTable(table, trained.schema, { requireLabel: false });
  const scored = await scoreTable(trained, table, logger);
  const values = unscaleTargets(scored.probs, scalingOf(trained));
  return {
    predictions: withKeptColumns(Array.from(values, (value, row) => ({ row, value })), table, keepColumns),
    unknown: scored.unknown,
    ignored_columns: ignored,
  };
}

/** Reads `path`, predicts every row and compares with its label column. */
export async function runRegressionEvaluation(
  model: TrainedModel,
  path: string,
  { logger, content }: ScoringOptions = {},
): Promise<RegressionEvaluation> {
  const trained = requireTabular(model, "evaluating on a CSV file");
  const table = await readInputTable(trained, path, { content });
  validateTable(table, trained.schema, { requireLabel: true });
  const truth = encodeTargets(table, trained.schema.label);
  const scored = await scoreTable(trained, table, logger);
  const metrics = regressionMetrics(unscaleTargets(scored.probs, scalingOf(trained)), truth);
  return { rows: scored.rows, metrics, unknown: scored.unknown };
}
