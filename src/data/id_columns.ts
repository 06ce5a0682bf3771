/**
 * Columns that identify rows rather than describe them: a unique value on every row, as text (an order
 * number, a name) or as whole numbers that count the rows (1, 2, 3, ...). One-hot encoded they would make
 * one feature per row and teach the model nothing, so training leaves them out and says so.
 */
import { parseNumberCell } from "./cells.ts";
import type { RawTable } from "./table.ts";

/** Fewer rows than this cannot tell an identifier from a small table of distinct values. */
export const ID_MIN_ROWS = 10;

/** The identifier-like columns of `table`, in header order, but those in `keep`. */
export function idLikeColumns(table: RawTable, keep: ReadonlySet<string>): string[] {
  const n = table.rowCount;
  if (n < ID_MIN_ROWS) return [];
  return table.header.filter((name) => !keep.has(name) && isIdentifier(table.columns.get(name) ?? [], n));
}

function isIdentifier(cells: readonly (string | null)[], n: number): boolean {
  const seen = new Set<string>();
  let numbers = 0, min = Infinity, max = -Infinity, text = 0;
  for (const cell of cells) {
    if (cell === null || seen.has(cell)) return false;
    seen.add(cell);
    const parsed = parseNumberCell(cell);
    if (!parsed.ok || parsed.value === null) text++;
    else {
      // A fraction is a measurement, not a row number.
      if (!Number.isInteger(parsed.value)) return false;
      numbers++;
      min = Math.min(min, parsed.value);
      max = Math.max(max, parsed.value);
    }
  }
  if (text === n) return true;
  // Whole numbers count rows when they fill (nearly) a range as long as the table.
  return numbers === n && max - min + 1 <= 2 * n;
}
