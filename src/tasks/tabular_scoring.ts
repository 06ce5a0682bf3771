/**
 * Predictions of a loaded model for every row of a CSV file, in file order, and its metrics on a labelled
 * one (the file is validated with the label required, labels encoded with the model's own classes, so a
 * label it never saw is an error naming the line and value). The file is checked against
 * the saved schema first (a missing feature column or a bad cell is an error naming it); the label
 * column, if present, is ignored; categories unseen in training follow the preprocessor's setting and
 * are counted so the caller can warn once per column.
 */
import { readTable } from "../data/table_reader.ts";
import { checkKeptColumns, withKeptColumns } from "./kept_columns.ts";
import type { ScoringOptions } from "./task_rules.ts";
import { encodeLabels } from "../data/label_encoding.ts";
import { classificationMetrics, type ClassificationReport } from "../evaluation/metrics.ts";
import { validateTable } from "../data/schema_validator.ts";
import type { RawTable } from "../data/table.ts";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { transformTable } from "../preprocess/tabular_preprocessor.ts";
import { requireTabular, type TrainedModel, type TrainedTabular } from "./trained_model.ts";
import { predictProbs } from "../models/predict_probs.ts";

/** One output line of `mmml predict`; `row` is the 0-based data row of the input file. */
export interface RowPrediction {
  row: number;
  label: string;
  probabilities: Record<string, number>;
}

/** Unseen categories of one column: how many cells, and the first few distinct values. */
export interface UnknownCategories {
  count: number;
  examples: string[];
  /** More distinct values were seen than `examples` lists. */
  more: boolean;
}

/** Class probabilities of every row of a table, row-major [rows, classes]. */
export interface ScoredTable {
  probs: Float32Array;
  rows: number;
  /** By column; empty when every category was seen in training. */
  unknown: Record<string, UnknownCategories>;
}

export interface TabularPredictions {
  predictions: RowPrediction[];
  unknown: Record<string, UnknownCategories>;
  /** Input columns the model does not read. */
  ignored_columns: string[];
}

const MAX_EXAMPLES = 5;

/**
 * Transforms a table already validated against `trained.schema` and runs it through the model. Logs one
 * warning per column holding categories unseen in training.
 */
export async function scoreTable(
  model: TrainedModel,
  table: RawTable,
  logger?: Logger,
): Promise<ScoredTable> {
  const trained = requireTabular(model, "scoring CSV rows");
  const unknown: Record<string, UnknownCategories> = {};
  const x = transformTable(trained.preprocessor, table, {
    onUnknown: (column, value) => {
      const seen = (unknown[column] ??= { count: 0, examples: [], more: false });
      seen.count++;
      if (seen.examples.includes(value)) return;
      if (seen.examples.length < MAX_EXAMPLES) seen.examples.push(value);
      else seen.more = true;
    },
  });
  for (const [column, { count, examples, more }] of Object.entries(unknown)) {
    logger?.warn(
      `${table.file}: ${count} cell(s) of column "${column}" hold categories unseen in training ` +
        `(${examples.map((e) => JSON.stringify(e)).join(", ")}${more ? ", ..." : ""}); ` +
        `they were encoded as unknown`,
      { column, count },
    );
  }
  const probs = await predictProbs(trained.model, x, table.rowCount);
  const k = probs.length / Math.max(1, table.rowCount);
  const bad = probs.findIndex((p) => !Number.isFinite(p));
  if (bad >= 0) {
    // As served predictions (onnx_session.ts): never a null in the output.
    const line = table.lines[Math.floor(bad / k)];
    throw new MmmlError(
      "invalid_input",
      `${table.file} ${table.position ?? "line"} ${line}: the model's output is ${
        probs[bad]
      }: the row's values ` +
        `are beyond what the model computes in float32; send values of the size it was trained on`,
    );
  }
  return { probs, rows: table.rowCount, unknown };
}

/** Turns row-major probabilities into labelled predictions (ties go to the first class, as argmax). */
export function toPredictions(
  probs: Float32Array,
  rows: number,
  classes: readonly string[],
): RowPrediction[] {
  const k = classes.length;
  const out: RowPrediction[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const probabilities: Record<string, number> = {};
    let best = 0;
    for (let c = 0; c < k; c++) {
      const p = probs[r * k + c];
      probabilities[classes[c]] = p;
      if (p > probs[r * k + best]) best = c;
    }
    out[r] = { row: r, label: classes[best], probabilities };
  }
  return out;
}

/** Reads `path` and predicts every row with `trained`. */
export async function runTabularPrediction(
  trained: TrainedModel,
  path: string,
  options: ScoringOptions = {},
): Promise<TabularPredictions> {
  const { logger, strictColumns, keepColumns } = options;
  const tabular = requireTabular(trained, "predicting a CSV file");
  const table = await readPredictionTable(tabular, path, options);
  const ignored = extraTableColumns(tabular, table, { strict: strictColumns, logger });
  validateTable(table, tabular.schema, { requireLabel: false });
  const scored = await scoreTable(tabular, table, logger);
  return {
    predictions: withKeptColumns(
      toPredictions(scored.probs, scored.rows, tabular.classes),
      table,
      keepColumns,
    ),
    unknown: scored.unknown,
    ignored_columns: ignored,
  };
}

/** The `--json` body of `mmml evaluate`, plus the unseen categories met on the way. */
export interface TabularEvaluation {
  rows: number;
  metrics: ClassificationReport;
  unknown: Record<string, UnknownCategories>;
}

/** Reads `path`, predicts every row and compares with its labels. */
export async function runTabularEvaluation(
  trained: TrainedModel,
  path: string,
  { logger, content }: ScoringOptions = {},
): Promise<TabularEvaluation> {
  const tabular = requireTabular(trained, "evaluating on a CSV file");
  const table = await readInputTable(tabular, path, { content });
  validateTable(table, tabular.schema, { requireLabel: true });
  const { y } = encodeLabels(table, tabular.schema.label, tabular.classes);
  const scored = await scoreTable(tabular, table, logger);
  const metrics = classificationMetrics(scored.probs, y, tabular.classes.length, tabular.classes);
  return { rows: scored.rows, metrics, unknown: scored.unknown };
}

/**
 * The rows at `path` (or in `content`, read from standard input), read as the version's training data
 * was (delimiter, missing-value spellings); nested columns the model does not read are left out.
 */
export function readInputTable(
  trained: TrainedTabular,
  path: string,
  { content, keep = [] }: { content?: Uint8Array; keep?: readonly string[] } = {},
): Promise<RawTable> {
  const read = new Set([...trained.schema.columns.map((c) => c.name), trained.schema.label, ...keep]);
  return readTable(content ? { file: path, bytes: content } : path, {
    delimiter: trained.delimiter,
    naValues: trained.schema.na_values ?? [],
    reads: (column) => read.has(column),
  });
}

/** The rows to predict, with the columns to keep checked (predict --keep-columns). */
export async function readPredictionTable(
  trained: TrainedTabular,
  path: string,
  { content, keepColumns = [] }: ScoringOptions,
): Promise<RawTable> {
  const table = await readInputTable(trained, path, { content, keep: keepColumns });
  checkKeptColumns(table, keepColumns);
  return table;
}

/**
 * The table's columns the model does not read (nor its label): refused with `strict`, else named once at
 * info level and returned, so `mmml predict` can list them as the server does (`ignored_columns`).
 */
export function extraTableColumns(
  trained: TrainedTabular,
  table: RawTable,
  { strict = false, logger }: { strict?: boolean; logger?: Logger } = {},
): string[] {
  const known = new Set([...trained.schema.columns.map((c) => c.name), trained.schema.label]);
  const extra = [...table.header.filter((h) => !known.has(h)), ...table.omitted ?? []];
  if (extra.length && strict) {
    throw new MmmlError(
      "validation_failed",
      `${table.file}: column(s) ${extra.map((c) => `"${c}"`).join(", ")} are not inputs of the model; ` +
        `drop them or leave out --strict-columns`,
    );
  }
  if (extra.length) {
    logger?.info(`ignored ${extra.length} column(s) the model does not read: ${extra.join(", ")}`);
  }
  return extra;
}
