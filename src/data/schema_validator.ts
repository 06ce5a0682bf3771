/**
 * Checks a table against a DataSchema before it reaches the preprocessor: the columns the model needs
 * are there, and each cell reads as its column's type. Unknown categories are not checked here; the
 * preprocessor's `unknown` setting decides what they mean.
 */
import { describeValue, MmmlError } from "../errors.ts";
import { parseBooleanCell, parseNumberCell } from "./cells.ts";
import type { ColumnSchema, DataSchema } from "./data_schema.ts";
import { cellRef, type RawTable } from "./table.ts";

export interface ValidateOptions {
  /** The label column must be present (training and evaluation); prediction does without. */
  requireLabel?: boolean;
  /** Columns the schema does not know are ignored; when false they are an error. */
  allowExtraColumns?: boolean;
  /**
   * A missing cell in a column that had none in training (nullable: false) is an error. Off by
   * default because prediction imputes missing cells the way training did.
   */
  enforceNullable?: boolean;
}

const BOOLEAN_SPELLINGS = "true/false, yes/no, y/n, t/f, 1/0";

/**
 * Throws schema_mismatch when required columns are missing (naming them and the columns available) or
 * unexpected ones are present, and validation_failed naming file, line, column and value for the first
 * cell that does not fit its column's type.
 */
export function validateTable(
  table: RawTable,
  schema: DataSchema,
  { requireLabel = false, allowExtraColumns = true, enforceNullable = false }: ValidateOptions = {},
): void {
  const missing = schema.columns.filter((c) => c.required && !table.columns.has(c.name)).map((c) => c.name);
  if (requireLabel && !table.columns.has(schema.label)) missing.push(schema.label);
  if (missing.length > 0) {
    const what = missing.length === 1
      ? `required column "${missing[0]}" is`
      : `required columns ${quoted(missing)} are`;
    throw new MmmlError(
      "schema_mismatch",
      `${table.file}: ${what} missing; available columns: ${table.header.join(", ")}`,
      { details: { missing, available: [...table.header] } },
    );
  }
  if (!allowExtraColumns) {
    const known = new Set([...schema.columns.map((c) => c.name), schema.label]);
    const extra = table.header.filter((name) => !known.has(name));
    if (extra.length > 0) {
      throw new MmmlError(
        "schema_mismatch",
        `${table.file}: unexpected column${extra.length > 1 ? "s" : ""} ${quoted(extra)}; ` +
          `the schema's columns are: ${[...known].join(", ")}`,
        { details: { extra } },
      );
    }
  }
  for (const column of schema.columns) {
    const cells = table.columns.get(column.name);
    if (cells === undefined) continue;
    const problem = firstBadCell(cells, column, enforceNullable);
    if (problem === undefined) continue;
    const value = cells[problem.row];
    const more = problem.count > 1 ? ` (${problem.count - 1} more in this column)` : "";
    throw new MmmlError(
      "validation_failed",
      `${cellRef(table, problem.row, column.name)}: ${problem.expected}, ` +
        `received ${value === null ? "an empty cell" : describeValue(value)}${more}`,
      { details: { line: table.lines[problem.row], column: column.name, value, count: problem.count } },
    );
  }
}

interface CellProblem {
  row: number;
  expected: string;
  count: number;
}

function firstBadCell(
  cells: readonly (string | null)[],
  column: ColumnSchema,
  enforceNullable: boolean,
): CellProblem | undefined {
  const checkNull = enforceNullable && !column.nullable;
  let first: CellProblem | undefined;
  let count = 0;
  for (let row = 0; row < cells.length; row++) {
    const expected = cellProblem(cells[row], column, checkNull);
    if (expected === undefined) continue;
    count++;
    first ??= { row, expected, count: 0 };
  }
  return first && { ...first, count };
}

/** What the cell should have been, or undefined when it is fine. */
function cellProblem(cell: string | null, column: ColumnSchema, checkNull: boolean): string | undefined {
  let missing: boolean;
  if (column.type === "numeric") {
    const parsed = parseNumberCell(cell);
    if (!parsed.ok) return parsed.reason === "text" ? "expected a number" : "expected a finite number";
    missing = parsed.value === null;
  } else if (column.type === "boolean") {
    const parsed = parseBooleanCell(cell);
    if (!parsed.ok) return `expected a boolean (${BOOLEAN_SPELLINGS})`;
    missing = parsed.value === null;
  } else {
    missing = cell === null;
  }
  if (missing && checkNull) return `expected a value, as "${column.name}" had no missing values in training`;
  return undefined;
}

function quoted(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}
