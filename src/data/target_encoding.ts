/**
 * A regression's label column as numbers: every row must hold a finite number (a missing or text label
 * is an error naming its line), and the values must vary (a constant target has nothing to learn).
 */
import { describeValue, MmmlError } from "../errors.ts";
import { parseNumberCell } from "./cells.ts";
import { labelCells } from "./label_encoding.ts";
import { cellRef, type RawTable } from "./table.ts";

/** The label of every row as a number; throws invalid_input naming the line of a bad one. */
export function encodeTargets(table: RawTable, label: string): Float64Array {
  const cells = labelCells(table, label);
  const out = new Float64Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const parsed = parseNumberCell(cells[i]);
    if (!parsed.ok || parsed.value === null) {
      const what = !parsed.ok && parsed.reason === "text"
        ? `expected a number for the regression label, received text ${describeValue(cells[i])}`
        : !parsed.ok
        ? `expected a finite number for the regression label, received ${describeValue(cells[i])}`
        : "the regression label is missing; every training row needs a number";
      throw new MmmlError("invalid_input", `${cellRef(table, i, label)}: ${what}`, {
        details: { line: table.lines[i], column: label, value: cells[i] },
      });
    }
    out[i] = parsed.value;
  }
  if (out.length > 0 && out.every((v) => v === out[0])) {
    throw new MmmlError(
      "invalid_input",
      `${table.file}: label column "${label}" holds the same value (${out[0]}) on every row; a regression ` +
        `needs a target that varies`,
    );
  }
  return out;
}

/** Each target's quantile bin (0..bins-1), so a regression split can be stratified like classes. */
export function quantileBins(values: ArrayLike<number>, bins = 10): Int32Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Int32Array(n);
  const k = Math.max(1, Math.min(bins, Math.floor(n / 5)));
  order.forEach((row, rank) => out[row] = Math.min(k - 1, Math.floor((rank * k) / n)));
  return out;
}
