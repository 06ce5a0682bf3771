/**
 * Turns the label column into class indices. Classes are the sorted distinct label values (index i is
 * model output i), or the classes a trained model already has, in which case a label it never saw is
 * an error rather than a silently new class.
 */
import { closestMatch } from "../closest_match.ts";
import { describeValue, MmmlError } from "../errors.ts";
import { categoryOf } from "./cells.ts";
import { cellRef, type RawTable } from "./table.ts";

export interface EncodedLabels {
  /** Class index of each row. */
  y: Int32Array;
  /** Class names; index i is class i. */
  classes: string[];
}

/**
 * Encodes `label` of every row. Without `classes`, they are the sorted distinct values and there must be
 * at least two. Throws invalid_input naming the label column, or the line of a missing or unknown label.
 */
export function encodeLabels(table: RawTable, label: string, classes?: readonly string[]): EncodedLabels {
  const cells = labelCells(table, label);
  const known = classes ? [...classes] : distinctLabels(table, label);
  if (classes === undefined && known.length < 2) {
    throw new MmmlError(
      "invalid_input",
      `${table.file}: label column "${label}" has a single class ${describeValue(known[0])}; ` +
        `a classifier needs at least 2`,
    );
  }
  const index = new Map(known.map((name, i) => [name, i]));
  const y = new Int32Array(cells.length);
  for (let row = 0; row < cells.length; row++) {
    const value = categoryOf(cells[row]);
    const k = value === null ? undefined : index.get(value);
    if (k === undefined) {
      if (value === null) throw missingLabel(table, row, label);
      throw new MmmlError(
        "invalid_input",
        `${cellRef(table, row, label)}: expected one of the model's classes (${known.join(", ")}), ` +
          `received ${describeValue(value)}`,
        { details: { line: table.lines[row], column: label, value } },
      );
    }
    y[row] = k;
  }
  return { y, classes: known };
}

/** Sorted distinct label values (UTF-16 code unit order, so every platform agrees). */
export function distinctLabels(table: RawTable, label: string): string[] {
  const cells = labelCells(table, label);
  const seen = new Set<string>();
  for (let row = 0; row < cells.length; row++) {
    const value = categoryOf(cells[row]);
    if (value === null) throw missingLabel(table, row, label);
    seen.add(value);
  }
  return [...seen].sort();
}

/** Rows per class, for class balance reports; missing labels are not counted. */
export function countLabels(table: RawTable, label: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const cell of labelCells(table, label)) {
    const value = categoryOf(cell);
    if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The label column's cells; a missing column is invalid_input with the nearest name and the columns. */
export function labelCells(table: RawTable, label: string): readonly (string | null)[] {
  const cells = table.columns.get(label);
  if (cells === undefined) {
    const near = closestMatch(label, table.header);
    throw new MmmlError(
      "invalid_input",
      `${table.file}: label column "${label}" not found${near ? ` (did you mean --label ${near}?)` : ""}; ` +
        `available columns: ${table.header.join(", ")}`,
    );
  }
  return cells;
}

function missingLabel(table: RawTable, row: number, label: string): MmmlError {
  return new MmmlError(
    "invalid_input",
    `${cellRef(table, row, label)}: expected a label, received an empty cell; every row needs a label`,
    { details: { line: table.lines[row], column: label } },
  );
}
