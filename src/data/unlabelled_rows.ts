/**
 * Training rows without a label teach nothing: they are left out with one warning naming how many and
 * their first lines, as AutoGluon drops rows whose label is missing, rather than failing a whole run
 * over a few gaps (the palmerpenguins data has two such rows). A file with no labelled row at all is an
 * error.
 */
import { MmmlError } from "../errors.ts";
import { type RawTable, selectRows } from "./table.ts";

/** How many lines a warning lists before "...". */
const SHOWN = 5;

/** The table without rows whose `label` cell is missing, and a sentence about them (none when all have one). */
export function withoutUnlabelled(table: RawTable, label: string): { table: RawTable; note?: string } {
  const cells = table.columns.get(label);
  if (!cells) return { table };
  const keep: number[] = [];
  const missing: number[] = [];
  cells.forEach((cell, row) => (cell === null ? missing : keep).push(row));
  if (missing.length === 0) return { table };
  if (keep.length === 0) {
    throw new MmmlError(
      "invalid_input",
      `${table.file}: every row's "${label}" is missing; expected a label on the rows to learn from`,
    );
  }
  const where = table.position ?? "line";
  const shown = missing.slice(0, SHOWN).map((r) => table.lines[r]).join(", ");
  const note = `${table.file}: ${missing.length} row(s) have no "${label}" (${where}s ${shown}` +
    `${missing.length > SHOWN ? ", ..." : ""}); they are left out`;
  return { table: selectRows(table, keep), note };
}
