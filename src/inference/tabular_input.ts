/**
 * Turns JSON rows into the exported graph's tabular inputs: validates each row against the saved
 * DataSchema, then builds the raw `numeric` block (NaN = missing; the graph imputes and scales) and the
 * encoded `categorical` block (one-hot or label codes, per the PreprocessorState). This is the part of
 * preprocessing ONNX cannot hold: schema validation and string categories.
 */
import { categoryOf, parseBooleanCell, parseNumberCell } from "../data/cells.ts";
import type { ColumnSchema, DataSchema } from "../data/data_schema.ts";
import { describeValue, MmmlError } from "../errors.ts";
import { readNumeric } from "../preprocess/feature_cells.ts";
import {
  type CategoricalFeature,
  type NumericFeature,
  type PreprocessorState,
  sourceColumn,
} from "../preprocess/preprocessor_state.ts";

/** One batch, row-major: numeric [rows, numericWidth] and categorical [rows, categoricalWidth]. */
export interface TabularBatch {
  rows: number;
  numeric: Float32Array;
  categorical: Float32Array;
}

export interface TabularInput {
  /** The columns the model reads, in schema order, and the label column (not read, but not extra). */
  readonly columns: readonly string[];
  readonly label: string;
  readonly numericWidth: number;
  readonly categoricalWidth: number;
  /** Validates and encodes rows; the first bad cell is a `validation_failed` error naming row and column. */
  encode(rows: readonly unknown[]): TabularBatch;
  /** The full feature vector as the model sees it (imputed, scaled, encoded), for graphs without preprocessing. */
  features(batch: TabularBatch): Float32Array;
}

type Cell = string | number | boolean | null;

/** Largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

const invalid = (row: number, column: string, what: string, value: unknown) =>
  new MmmlError(
    "validation_failed",
    `row ${row}, column "${column}": ${what}, received ${describeValue(value)}`,
    {
      details: { row, column },
    },
  );

/**
 * Compiles the encoder for one model. `file` names the artifacts for the error raised when the schema
 * and the preprocessor disagree (a corrupt artifact, not a bad request).
 */
export function createTabularInput(
  schema: DataSchema,
  pre: PreprocessorState,
  file = "preprocessor.json",
): TabularInput {
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  for (const f of [...pre.numeric, ...pre.categorical]) {
    if (!byName.has(sourceColumn(f))) {
      throw new MmmlError(
        "artifact_corrupt",
        `${file}: feature "${f.name}" is not a column of the saved schema`,
      );
    }
  }
  const slots = pre.categorical.map((c) => ({
    feature: c,
    width: c.encoding === "onehot" ? c.categories.length : 1,
    index: new Map(c.categories.map((cat, i) => [cat, i])),
  }));
  const numericWidth = pre.numeric.length;
  const categoricalWidth = slots.reduce((n, s) => n + s.width, 0);
  const known = schema.columns.map((c) => c.name);
  const na = new Set(schema.na_values ?? []);

  function checkRow(row: unknown, r: number): Record<string, unknown> {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new MmmlError(
        "validation_failed",
        `row ${r}: expected an object of column values, received ${describeValue(row)}`,
        {
          details: { row: r },
        },
      );
    }
    const obj = row as Record<string, unknown>;
    // Columns the model does not use (the label, an id) are ignored here; callers that must refuse them
    // ask extraColumns first (serving.extra_columns: error, predict --strict-columns).
    for (const col of schema.columns) {
      if (!Object.hasOwn(obj, col.name)) {
        if (col.required) {
          throw new MmmlError("validation_failed", `row ${r}: missing required column "${col.name}"`, {
            details: { row: r, column: col.name },
          });
        }
      } else if ((obj[col.name] === null || obj[col.name] === undefined) && !col.nullable) {
        throw invalid(r, col.name, "expected a value (the column is not nullable)", obj[col.name]);
      }
    }
    return obj;
  }

  function primitive(value: unknown, r: number, col: ColumnSchema, what: string): Cell {
    if (value === undefined || value === null) return null;
    if (typeof value === "string" && na.has(value.trim())) return null;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
    throw invalid(r, col.name, what, value);
  }

  function numericValue(value: unknown, r: number, col: ColumnSchema, f: NumericFeature): number {
    if (col.type === "date") {
      const cell = primitive(value, r, col, "expected a date (a string)");
      return readNumeric(cell, "date", r, col.name, (row, column) => `row ${row}, column "${column}"`, f);
    }
    if (col.type === "boolean") {
      const parsed = parseBooleanCell(primitive(value, r, col, "expected a boolean"));
      if (!parsed.ok) throw invalid(r, col.name, "expected a boolean (true/false, yes/no, 1/0)", value);
      return parsed.value === null ? NaN : parsed.value ? 1 : 0;
    }
    const parsed = parseNumberCell(primitive(value, r, col, "expected a number"));
    if (!parsed.ok) throw invalid(r, col.name, `expected a number, not ${parsed.reason}`, value);
    // Beyond float32's range a value would become Infinity and the probabilities NaN.
    if (parsed.value !== null && Math.abs(parsed.value) > FLOAT32_MAX) {
      throw invalid(r, col.name, "expected a number within float32 range (|x| <= 3.4e38)", value);
    }
    return parsed.value ?? NaN;
  }

  function categoryCode(
    f: CategoricalFeature,
    index: Map<string, number>,
    value: unknown,
    r: number,
  ): number {
    const col = byName.get(f.name)!;
    const cat = categoryOf(primitive(value, r, col, "expected a category (string)"));
    if (cat === null) return index.get(f.fill) ?? -1;
    const code = index.get(cat);
    if (code !== undefined) return code;
    if (f.unknown === "error") {
      throw invalid(r, f.name, `expected one of the training categories (${f.categories.join(", ")})`, cat);
    }
    return -1;
  }

  return {
    numericWidth,
    categoricalWidth,
    columns: known,
    label: schema.label,
    encode(rows) {
      const n = rows.length;
      const numeric = new Float32Array(n * numericWidth);
      const categorical = new Float32Array(n * categoricalWidth);
      for (let r = 0; r < n; r++) {
        const row = checkRow(rows[r], r);
        pre.numeric.forEach((f, j) => {
          const column = sourceColumn(f);
          numeric[r * numericWidth + j] = numericValue(row[column], r, byName.get(column)!, f);
        });
        let offset = r * categoricalWidth;
        for (const s of slots) {
          const code = categoryCode(s.feature, s.index, row[s.feature.name], r);
          // Unseen categories ("ignore") are all zeros one-hot and -1 as a label code.
          if (s.feature.encoding === "label") categorical[offset] = code;
          else if (code >= 0) categorical[offset + code] = 1;
          offset += s.width;
        }
      }
      return { rows: n, numeric, categorical };
    },
    features({ rows, numeric, categorical }) {
      const width = numericWidth + categoricalWidth;
      const out = new Float32Array(rows * width);
      for (let r = 0; r < rows; r++) {
        pre.numeric.forEach((f, j) => {
          const v = numeric[r * numericWidth + j];
          out[r * width + j] = ((Number.isNaN(v) ? f.fill : v) - f.mean) / f.std;
        });
        out.set(
          categorical.subarray(r * categoricalWidth, (r + 1) * categoricalWidth),
          r * width + numericWidth,
        );
      }
      return out;
    },
  };
}

/**
 * The keys of `rows` that are not columns of the model (nor its label), in first-seen order: what a
 * request sent beyond what the model reads. Non-object rows are left to encode() to refuse.
 */
export function extraColumns(
  input: Pick<TabularInput, "columns" | "label">,
  rows: readonly unknown[],
): string[] {
  const known = new Set([...input.columns, input.label]);
  const extra = new Set<string>();
  for (const row of rows) {
    if (row === null || typeof row !== "object" || Array.isArray(row)) continue;
    for (const key of Object.keys(row)) if (!known.has(key)) extra.add(key);
  }
  return [...extra];
}
