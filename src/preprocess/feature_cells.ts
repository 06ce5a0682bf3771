/**
 * One CSV or JSON cell read as a feature value: a number (numeric and boolean columns, NaN when
 * missing) or a category (null when missing), with an error naming the cell when it is neither.
 * The common spellings take an allocation-free path; the rest go through data/cells.ts's parsers.
 */
import { describeValue, MmmlError } from "../errors.ts";
import { FALSE_STRINGS, TRUE_STRINGS } from "../data/data_schema.ts";
import { categoryOf, fastNumber, parseBooleanCell, parseNumberCell } from "../data/cells.ts";
import { DATE_FORMAT_EXAMPLES, datePart, parseDate } from "../data/dates.ts";
import type { NumericFeature } from "./preprocessor_state.ts";

/** Names a cell in an error message. */
export type Where = (row: number, column: string) => string;

/** Common spellings of booleans, looked up before the general (allocating) parser. */
const BOOLEAN_SPELLINGS: ReadonlyMap<string, number> = new Map(
  [...TRUE_STRINGS.map((s) => [s, 1] as const), ...FALSE_STRINGS.map((s) => [s, 0] as const)]
    .flatMap(([s, v]) => [[s, v], [s.toUpperCase(), v], [s[0].toUpperCase() + s.slice(1), v]] as const),
);

/** A numeric, boolean or date cell as a number (a date: the feature's part of it); NaN when missing. */
export function readNumeric(
  cell: unknown,
  kind: NumericFeature["kind"],
  row: number,
  column: string,
  where: Where,
  date?: Pick<NumericFeature, "part" | "format">,
): number {
  if (cell === null || cell === undefined) return NaN;
  if (kind === "date") return readDatePart(cell, row, column, where, date ?? {});
  if (typeof cell === "string") {
    const v = kind === "numeric" ? fastNumber(cell) : BOOLEAN_SPELLINGS.get(cell);
    if (v !== undefined && v === v) return v;
  } else if (typeof cell === "number" && kind === "numeric" && cell - cell === 0) {
    return cell;
  } else if (typeof cell !== "number" && typeof cell !== "boolean") {
    throw new MmmlError(
      "validation_failed",
      `${where(row, column)}: expected a ${kind === "numeric" ? "number" : "boolean"}, received ${
        describeValue(cell)
      }`,
    );
  }
  if (kind === "numeric") {
    const p = parseNumberCell(cell);
    if (!p.ok) {
      const text = p.reason === "text" && typeof cell === "string" ? "text " : "";
      throw new MmmlError(
        "validation_failed",
        `${where(row, column)}: expected a finite number, received ${text}${describeValue(cell)}`,
        { details: { column, row, value: cell } },
      );
    }
    return p.value ?? NaN;
  }
  const p = parseBooleanCell(cell);
  if (!p.ok) {
    throw new MmmlError(
      "validation_failed",
      `${where(row, column)}: expected a boolean (true/false, yes/no, 1/0), received ${describeValue(cell)}`,
      { details: { column, row, value: cell } },
    );
  }
  return p.value === null ? NaN : p.value ? 1 : 0;
}

function readDatePart(
  cell: unknown,
  row: number,
  column: string,
  where: Where,
  { part = "year", format = "iso" }: Pick<NumericFeature, "part" | "format">,
): number {
  if (cell === "") return NaN;
  const t = typeof cell === "string" ? parseDate(cell, format) : NaN;
  if (Number.isNaN(t)) {
    throw new MmmlError(
      "validation_failed",
      `${where(row, column)}: expected a date in the column's format (${DATE_FORMAT_EXAMPLES[format]}), ` +
        `received ${describeValue(cell)}`,
      { details: { column, row, value: cell } },
    );
  }
  return datePart(t, part);
}

/** A categorical cell as its category; null when missing. */
export function readCategory(cell: unknown, row: number, column: string, where: Where): string | null {
  if (typeof cell === "string") return cell === "" ? null : cell;
  if (cell === null || cell === undefined) return null;
  if (typeof cell === "number" || typeof cell === "boolean") return categoryOf(cell);
  throw new MmmlError(
    "validation_failed",
    `${where(row, column)}: expected a category (a string), received ${describeValue(cell)}`,
  );
}
