/**
 * `mmml predict --keep-columns id,store`: input columns copied into each prediction beside `row`, so
 * predictions can be joined back to the rows they came from. A cell is written as it was read: a number
 * when its text is exactly how JSON writes that number (`17`, `0.5`), so a join on an integer ID column
 * in pandas or SQL matches; otherwise text (`"007"`, `"A-17"`, a 20-digit ID), so nothing is altered;
 * a missing cell is null.
 */
import { closestMatch } from "../closest_match.ts";
import { MmmlError } from "../errors.ts";
import type { RawTable } from "../data/table.ts";

/** The fields a prediction already has, which a kept column may not replace. */
const PREDICTION_FIELDS = ["row", "label", "probabilities", "value", "top_k"];

/** Checks that each of `keep` is a column of `table` and no prediction field; throws a usage error naming it. */
export function checkKeptColumns(table: RawTable, keep: readonly string[]): void {
  for (const name of keep) {
    if (PREDICTION_FIELDS.includes(name)) {
      throw new MmmlError(
        "usage",
        `--keep-columns ${name}: "${name}" is a field of every prediction (${
          PREDICTION_FIELDS.join(", ")
        }); ` +
          `rename the column in the input to keep it`,
      );
    }
    if (!table.columns.has(name)) {
      const near = closestMatch(name, table.header);
      throw new MmmlError(
        "usage",
        `--keep-columns ${name}: ${table.file} has no column "${name}"` +
          (near ? ` (did you mean "${near}"?)` : `; its columns: ${table.header.join(", ")}`),
      );
    }
  }
}

/** Row `row`'s cells of the `keep` columns, as JSON values. */
export function keptCells(table: RawTable, keep: readonly string[], row: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of keep) out[name] = jsonValue(table.columns.get(name)![row]);
  return out;
}

/** A cell as JSON: a number when its text is that number's own spelling, else the text. */
export function jsonValue(cell: string | null): string | number | null {
  if (cell === null) return null;
  const n = Number(cell);
  return Number.isFinite(n) && String(n) === cell ? n : cell;
}

/** Puts each row's kept cells after its `row` field. */
export function withKeptColumns<T extends { row: number }>(
  predictions: T[],
  table: RawTable,
  keep: readonly string[] | undefined,
): T[] {
  if (!keep?.length) return predictions;
  return predictions.map((p) => {
    const { row, ...rest } = p;
    return { row, ...keptCells(table, keep, row), ...rest } as T;
  });
}
