/**
 * The tabular preprocessor: `fitPreprocessor` learns a PreprocessorState from the training rows, and
 * `transformTable` / `transformRows` turn CSV tables or JSON rows into the model's feature matrix.
 *
 * Fitting follows the sklearn pipelines of the Python design, SimpleImputer -> StandardScaler for
 * numeric (and 0/1 boolean) columns and SimpleImputer -> OneHotEncoder | OrdinalEncoder for categorical
 * ones, so the scaler's mean and std are those of the imputed column, as in a Pipeline.
 */
import { describeValue, MmmlError } from "../errors.ts";
import { cellRef, type RawTable } from "../data/table.ts";
import type { DataSchema } from "../data/data_schema.ts";
import { readCategory, readNumeric, type Where } from "./feature_cells.ts";
import type { PreprocessingConfig } from "../config/schema.ts";
import {
  type CategoricalFeature,
  type NumericFeature,
  type PreprocessorState,
  sourceColumn,
} from "./preprocessor_state.ts";
import { DATE_PARTS } from "../data/dates.ts";

export interface TransformOptions {
  /**
   * Called once per cell holding a category unseen in training when the state says `unknown: "ignore"`
   * (`row` is the 0-based data row), so callers can count and warn.
   */
  onUnknown?: (column: string, value: string, row: number) => void;
}

/** Rows encoded together, so that their output rows stay in cache across columns. */
const ROW_BLOCK = 512;

/** Unknown categories listed in an error message before it says "and N more". */
const MAX_LISTED_CATEGORIES = 20;

/**
 * Fits imputation, scaling and encoding on `table`, which must hold the training rows only.
 * Feature layout: numeric and boolean columns first (schema order), then one block per categorical column.
 */
export function fitPreprocessor(
  table: RawTable,
  schema: DataSchema,
  config: PreprocessingConfig,
): PreprocessorState {
  if (table.rowCount === 0) {
    throw new MmmlError("invalid_input", `${table.file}: cannot fit the preprocessor on 0 training rows`);
  }
  const where: Where = (row, column) => cellRef(table, row, column);
  const numeric: NumericFeature[] = [];
  const categorical: CategoricalFeature[] = [];
  for (const column of schema.columns) {
    const cells = columnOf(table, column.name);
    if (column.type === "categorical") {
      categorical.push(fitCategorical(column.name, cells, config.categorical, where));
    } else if (column.type === "date") {
      for (const part of DATE_PARTS) {
        const date = { column: column.name, part, format: column.format ?? "iso" };
        numeric.push(fitNumeric(`${column.name}.${part}`, "date", cells, config.numeric, where, date));
      }
    } else {
      numeric.push(fitNumeric(column.name, column.type, cells, config.numeric, where));
    }
  }
  const featureNames = [
    ...numeric.map((f) => f.name),
    ...categorical.flatMap((f) =>
      f.encoding === "onehot" ? f.categories.map((c) => `${f.name}=${c}`) : [f.name]
    ),
  ];
  return { version: 1, numeric, categorical, featureCount: featureNames.length, featureNames };
}

/** Encodes every row of a table: row-major [table.rowCount, state.featureCount]. */
export function transformTable(
  state: PreprocessorState,
  table: RawTable,
  { onUnknown }: TransformOptions = {},
): Float32Array {
  const columns = featureColumnNames(state).map((name) => columnOf(table, name));
  return encode(state, columns, table.rowCount, (row, column) => cellRef(table, row, column), onUnknown);
}

/**
 * Encodes JSON rows (numbers, strings, booleans, null; an absent key is a missing cell):
 * row-major [rows.length, state.featureCount].
 */
export function transformRows(
  state: PreprocessorState,
  rows: readonly Record<string, unknown>[],
  { onUnknown }: TransformOptions = {},
): Float32Array {
  rows.forEach((row, i) => {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new MmmlError(
        "invalid_input",
        `row ${i}: expected an object of column values, received ${describeValue(row)}`,
      );
    }
  });
  const columns = featureColumnNames(state).map((name) => rows.map((row) => row[name]));
  return encode(state, columns, rows.length, (row, column) => `row ${row}, column "${column}"`, onUnknown);
}

function featureColumnNames(state: PreprocessorState): string[] {
  return [...state.numeric.map(sourceColumn), ...state.categorical.map((f) => f.name)];
}

function columnOf(table: RawTable, name: string): readonly (string | null)[] {
  const cells = table.columns.get(name);
  if (cells === undefined) {
    throw new MmmlError(
      "schema_mismatch",
      `${table.file}: missing column "${name}"; the file has ${table.header.map((h) => `"${h}"`).join(", ")}`,
    );
  }
  return cells;
}

function encode(
  state: PreprocessorState,
  columns: readonly ArrayLike<unknown>[],
  rowCount: number,
  where: Where,
  onUnknown: TransformOptions["onUnknown"],
): Float32Array {
  const width = state.numeric.length +
    state.categorical.reduce((n, f) => n + (f.encoding === "onehot" ? f.categories.length : 1), 0);
  if (width !== state.featureCount) {
    throw new MmmlError(
      "artifact_corrupt",
      `preprocessor state: featureCount is ${state.featureCount} but its features make ${width} slots`,
    );
  }
  const out = new Float32Array(rowCount * width);
  const blocks = state.categorical.map((f) => {
    const index = new Map(f.categories.map((c, i) => [c, i]));
    // A constant fill never seen in training is not a category: missing cells then encode as "none".
    return { f, index, fillCode: index.get(f.fill) ?? -1, onehot: f.encoding === "onehot" };
  });
  // Row blocks keep the output rows being written in cache while each column is walked in turn.
  for (let start = 0; start < rowCount; start += ROW_BLOCK) {
    const end = Math.min(rowCount, start + ROW_BLOCK);
    let slot = 0;
    let col = 0;
    for (const f of state.numeric) {
      const { kind, fill, mean, std } = f;
      const name = sourceColumn(f);
      const cells = columns[col++];
      for (let r = start, o = start * width + slot; r < end; r++, o += width) {
        const v = readNumeric(cells[r], kind, r, name, where, f);
        out[o] = ((v === v ? v : fill) - mean) / std;
      }
      slot++;
    }
    for (const { f, index, fillCode, onehot } of blocks) {
      const cells = columns[col++];
      for (let r = start, o = start * width + slot; r < end; r++, o += width) {
        const value = readCategory(cells[r], r, f.name, where);
        let code = fillCode;
        if (value !== null) {
          const hit = index.get(value);
          if (hit !== undefined) code = hit;
          else {
            if (f.unknown === "error") throw unknownCategory(f, value, r, where);
            onUnknown?.(f.name, value, r);
            code = -1;
          }
        }
        if (!onehot) out[o] = code;
        else if (code >= 0) out[o + code] = 1;
      }
      slot += onehot ? f.categories.length : 1;
    }
  }
  return out;
}

function unknownCategory(f: CategoricalFeature, value: string, row: number, where: Where): MmmlError {
  const listed = f.categories.slice(0, MAX_LISTED_CATEGORIES).map((c) => JSON.stringify(c)).join(", ");
  const more = f.categories.length > MAX_LISTED_CATEGORIES
    ? ` and ${f.categories.length - MAX_LISTED_CATEGORIES} more`
    : "";
  return new MmmlError(
    "validation_failed",
    `${where(row, f.name)}: expected one of the categories seen in training (${listed}${more}), ` +
      `received unknown category ${describeValue(value)}`,
    { details: { column: f.name, row, value, categories: f.categories } },
  );
}

function fitNumeric(
  name: string,
  kind: NumericFeature["kind"],
  cells: ArrayLike<unknown>,
  config: PreprocessingConfig["numeric"],
  where: Where,
  date?: Pick<NumericFeature, "column" | "part" | "format">,
): NumericFeature {
  const n = cells.length;
  const values = new Float64Array(n);
  let observed = 0;
  for (let r = 0; r < n; r++) {
    const v = readNumeric(cells[r], kind, r, date?.column ?? name, where, date);
    values[r] = v;
    if (v === v) observed++;
  }
  // A column with no values at all cannot give a statistic; the configured constant stands in.
  const fill = config.impute === "constant" || observed === 0
    ? config.fill_value
    : imputeValue(values, observed, config.impute);
  if (config.scale === "none") return { name, kind, ...date, fill, mean: 0, std: 1 };
  let sum = 0;
  for (let r = 0; r < n; r++) sum += values[r] === values[r] ? values[r] : fill;
  const mean = sum / n;
  let squares = 0;
  for (let r = 0; r < n; r++) {
    const d = (values[r] === values[r] ? values[r] : fill) - mean;
    squares += d * d;
  }
  const std = Math.sqrt(squares / n);
  // Population std, as StandardScaler; a constant column (std 0 up to rounding) keeps scale 1.
  const constant = !(std > 10 * Number.EPSILON * Math.max(1, Math.abs(mean)));
  return { name, kind, ...date, fill, mean, std: constant ? 1 : std };
}

function imputeValue(
  values: Float64Array,
  observed: number,
  impute: "mean" | "median" | "most_frequent",
): number {
  if (impute === "mean") {
    let sum = 0;
    for (const v of values) if (v === v) sum += v;
    return sum / observed;
  }
  const sorted = values.filter((v) => v === v).sort();
  if (impute === "median") {
    const mid = observed >> 1;
    return observed % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
  // Most frequent; ties go to the smallest value, as SimpleImputer.
  let best = sorted[0];
  let bestCount = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    if (j - i > bestCount) {
      best = sorted[i];
      bestCount = j - i;
    }
    i = j;
  }
  return best;
}

function fitCategorical(
  name: string,
  cells: ArrayLike<unknown>,
  config: PreprocessingConfig["categorical"],
  where: Where,
): CategoricalFeature {
  const counts = new Map<string, number>();
  let missing = 0;
  for (let r = 0; r < cells.length; r++) {
    const value = readCategory(cells[r], r, name, where);
    if (value === null) missing++;
    else counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const seen = [...counts.keys()].sort();
  let fill = config.fill_value;
  if (config.impute === "most_frequent" && seen.length > 0) {
    // Ties go to the first in sorted order, as SimpleImputer.
    fill = seen.reduce((best, c) => counts.get(c)! > counts.get(best)! ? c : best, seen[0]);
  }
  const categories = missing > 0 && !counts.has(fill) ? [...seen, fill].sort() : seen;
  return { name, encoding: config.encoding, categories, fill, unknown: config.unknown };
}
