/**
 * Infers each column's type (numeric, categorical, boolean, date) from its raw cells, or checks the cells
 * against a type forced by `data.column_types`. The cell spellings are those of cells.ts, so training,
 * prediction and serving agree on what a number or a boolean is.
 */
import type { ColumnType } from "../config/schema.ts";
import { describeValue, MmmlError } from "../errors.ts";
import { parseBooleanCell, parseNumberCell } from "./cells.ts";
import { DATE_FORMAT_EXAMPLES, DATE_FORMATS, type DateFormat, parseDate } from "./dates.ts";
import { cellRef, type RawTable } from "./table.ts";

/**
 * Spellings that make an undeclared column boolean (any case). Narrower than what a declared boolean
 * column accepts: 0/1 columns stay numeric and y/n/t/f stay categorical unless declared.
 */
export const INFERRED_BOOLEAN_SPELLINGS: ReadonlySet<string> = new Set(["true", "false", "yes", "no"]);

/**
 * A column whose non-missing values are at least this share numbers, with some text among them, is
 * taken to be a numeric column with typos rather than a categorical one, and reported.
 */
export const TEXT_IN_NUMERIC_SHARE = 0.9;

/** A column's type and, when its cells contradict that type, the error to raise. */
export interface ColumnInference {
  type: ColumnType;
  problem?: MmmlError;
}

export interface InferOptions {
  /** Types forced by config (`data.column_types`); their cells are checked, not guessed. */
  overrides?: Readonly<Record<string, ColumnType>>;
  /** The label column, which is not a feature and is left out. */
  label?: string;
  /** Columns left out (`data.drop_columns`). */
  dropColumns?: readonly string[];
}

/**
 * Types of the feature columns in header order (label and dropped columns left out). Throws
 * invalid_input naming file, line, column and value when a column's cells contradict its type.
 */
export function inferColumnTypes(
  table: RawTable,
  { overrides = {}, label, dropColumns = [] }: InferOptions = {},
): Map<string, ColumnType> {
  const skipped = new Set(dropColumns);
  if (label !== undefined) skipped.add(label);
  const unknown = Object.keys(overrides).filter((name) => !table.columns.has(name) && !skipped.has(name));
  if (unknown.length > 0) {
    throw new MmmlError(
      "invalid_input",
      `data.column_types names ${unknown.map((n) => `"${n}"`).join(", ")}, which ${table.file} lacks; ` +
        `its columns are: ${table.header.join(", ")}`,
    );
  }
  const types = new Map<string, ColumnType>();
  for (const name of table.header) {
    if (skipped.has(name)) continue;
    const { type, problem } = inspectColumn(
      table,
      name,
      Object.hasOwn(overrides, name) ? overrides[name] : undefined,
    );
    if (problem) throw problem;
    types.set(name, type);
  }
  return types;
}

/** The type of one column (declared or inferred) without throwing: the problem, if any, is returned. */
export function inspectColumn(table: RawTable, name: string, declared?: ColumnType): ColumnInference {
  const cells = table.columns.get(name);
  if (cells === undefined) throw new Error(`inspectColumn: ${table.file} has no column "${name}"`);
  if (declared === "categorical") return { type: declared };
  if (declared === "boolean") return { type: declared, problem: checkDeclaredBoolean(table, name, cells) };
  if (declared === "date") return inspectDates(table, name, cells, true)!;

  let present = 0;
  let numbers = 0;
  let booleans = 0;
  let text = 0;
  let nonFinite = 0;
  let firstText = -1;
  let firstNonFinite = -1;
  // Past this many text cells the column cannot be mostly numbers (one cell of slack for rounding).
  const textLimit = (1 - TEXT_IN_NUMERIC_SHARE) * cells.length + 1;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null) continue;
    present++;
    // Once one cell is not a boolean spelling the column cannot be boolean; stop lower-casing cells.
    const maybeBoolean = declared === undefined && booleans === present - 1;
    if (maybeBoolean && INFERRED_BOOLEAN_SPELLINGS.has(cell.trim().toLowerCase())) booleans++;
    const parsed = parseNumberCell(cell);
    if (parsed.ok) {
      if (parsed.value !== null) numbers++;
    } else if (parsed.reason === "text") {
      if (firstText < 0) firstText = i;
      text++;
      if (declared === undefined && text > textLimit && booleans < present) {
        return inspectDates(table, name, cells, false) ?? { type: "categorical" };
      }
    } else {
      if (firstNonFinite < 0) firstNonFinite = i;
      nonFinite++;
    }
  }

  if (declared === "numeric") {
    const bad = firstText >= 0 && (firstNonFinite < 0 || firstText < firstNonFinite)
      ? firstText
      : firstNonFinite;
    if (bad < 0) return { type: "numeric" };
    const because = `(data.column_types declares "${name}" numeric)`;
    return {
      type: "numeric",
      problem: cellError(
        table,
        bad,
        name,
        bad === firstText ? `expected a number ${because}` : "expected a finite number",
      ),
    };
  }
  if (present > 0 && booleans === present) return { type: "boolean" };
  if (text === 0) {
    if (firstNonFinite < 0) return { type: "numeric" };
    return { type: "numeric", problem: cellError(table, firstNonFinite, name, "expected a finite number") };
  }
  const share = (numbers + nonFinite) / (numbers + nonFinite + text);
  if (share < TEXT_IN_NUMERIC_SHARE) {
    return inspectDates(table, name, cells, false) ?? { type: "categorical" };
  }
  const percent = Math.floor(share * 1000) / 10;
  const problem = cellError(
    table,
    firstText,
    name,
    "expected a number",
    ` (${percent}% of the column's values are numbers; ${text} ${text === 1 ? "is" : "are"} not). ` +
      `If "${name}" is categorical, declare it in the config: data.column_types: { ${name}: categorical }`,
  );
  return { type: "numeric", problem };
}

/** Cells looked at to decide whether a text column could be dates at all. */
const DATE_PROBE_CELLS = 20;

/**
 * A column of dates: every non-missing cell a date in one of DATE_FORMATS. At least
 * TEXT_IN_NUMERIC_SHARE of them in one format with the rest not is a problem naming the first cell that
 * is not (mixed formats, a typo); fewer and (undeclared) the column is not dates: null.
 */
function inspectDates(
  table: RawTable,
  name: string,
  cells: readonly (string | null)[],
  declared: boolean,
): ColumnInference | null {
  const present = cells.filter((c): c is string => c !== null);
  const probe = present.slice(0, DATE_PROBE_CELLS);
  if (!declared && !DATE_FORMATS.some((f) => probe.some((c) => !Number.isNaN(parseDate(c, f))))) return null;
  let best: DateFormat = DATE_FORMATS[0], bestCount = -1;
  for (const format of DATE_FORMATS) {
    const count = present.reduce((n, c) => n + (Number.isNaN(parseDate(c, format)) ? 0 : 1), 0);
    if (count > bestCount) [best, bestCount] = [format, count];
  }
  if (present.length > 0 && bestCount === present.length) return { type: "date" };
  if (!declared && bestCount < TEXT_IN_NUMERIC_SHARE * present.length) return null;
  const bad = cells.findIndex((c) => c !== null && Number.isNaN(parseDate(c, best)));
  const why = declared ? ` (data.column_types declares "${name}" a date)` : "";
  return {
    type: "date",
    problem: cellError(
      table,
      Math.max(bad, 0),
      name,
      `expected a date in the column's format (${DATE_FORMAT_EXAMPLES[best]})${why}; one column holds one ` +
        `date format (ISO 2024-03-05, day first 05/03/2024, or 2024/03/05)`,
    ),
  };
}

function checkDeclaredBoolean(
  table: RawTable,
  name: string,
  cells: readonly (string | null)[],
): MmmlError | undefined {
  for (let i = 0; i < cells.length; i++) {
    if (!parseBooleanCell(cells[i]).ok) {
      return cellError(
        table,
        i,
        name,
        `expected a boolean (true/false, yes/no, y/n, t/f, 1/0) as data.column_types declares "${name}" boolean`,
      );
    }
  }
  return undefined;
}

function cellError(table: RawTable, row: number, column: string, expected: string, tail = ""): MmmlError {
  const value = table.columns.get(column)?.[row] ?? null;
  return new MmmlError(
    "invalid_input",
    `${cellRef(table, row, column)}: ${expected}, received ${describeValue(value)}${tail}`,
    { details: { line: table.lines[row], column, value } },
  );
}
