/**
 * Classes or a number? AutoGluon's rule (autogluon.core.utils.infer_problem_type): a label that is not
 * all numbers is classes; numbers with a fraction are a regression; whole numbers are classes when there
 * are few distinct values for the rows (at most 10% of them, 5% past 1,000 rows, and at most 1,000
 * values), else a regression. Two distinct values are always classes.
 *
 * One departure, so a typo cannot turn a number into hundreds of silent classes: a label that is at least
 * 90% numbers (NUMERIC_LABEL_SHARE), whose numbers alone would be a regression, but holds some text is an
 * error naming the first text cell, with the ways out (fix it, data.na_values, or --problem-type).
 */
import { describeValue, MmmlError } from "../errors.ts";
import { parseNumberCell } from "./cells.ts";
import { cellRef, type RawTable } from "./table.ts";

/** The share of numbers above which text in a label is taken for a mistake rather than class names. */
export const NUMERIC_LABEL_SHARE = 0.9;

export const MULTICLASS_UPPER_LIMIT = 1000;
export const LARGE_DATA_THRESHOLD = 1000;
export const REGRESS_THRESHOLD_LARGE_DATA = 0.05;
export const REGRESS_THRESHOLD_SMALL_DATA = 0.1;

/** The inferred problem type and a sentence saying why (logged once). */
export interface InferredProblem {
  type: "classification" | "regression";
  reason: string;
}

/** Infers the problem type of `label` in `table` (see the module comment). */
export function inferProblemType(table: RawTable, label: string): InferredProblem {
  const cells = table.columns.get(label) ?? [];
  const distinct = new Set<number>();
  let rows = 0, fractional = false, text = 0, firstText = -1;
  for (let i = 0; i < cells.length; i++) {
    const parsed = parseNumberCell(cells[i]);
    if (!parsed.ok) {
      text++;
      if (firstText < 0) firstText = i;
      continue;
    }
    if (parsed.value === null) continue;
    rows++;
    distinct.add(parsed.value);
    if (!Number.isInteger(parsed.value)) fractional = true;
  }
  if (text > 0) {
    const numbers = inferFromNumbers(label, rows, distinct.size, fractional);
    if (rows > 0 && rows / (rows + text) >= NUMERIC_LABEL_SHARE && numbers.type === "regression") {
      const value = cells[firstText];
      const share = `${rows} of ${rows + text} rows, ${distinct.size} distinct values`;
      throw new MmmlError(
        "invalid_input",
        `${cellRef(table, firstText, label)}: expected a number, received ${describeValue(value)}; ` +
          `the label is otherwise numbers (${share}), so it looks like a regression with ${text} text ` +
          `cell(s): fix them, list their spelling in data.na_values to treat them as missing, or pass ` +
          `--problem-type classification if they are classes`,
        { details: { line: table.lines[firstText], column: label, value } },
      );
    }
    return { type: "classification", reason: `"${label}" holds text` };
  }
  return inferFromNumbers(label, rows, distinct.size, fractional);
}

/** The rule for a label of numbers only. */
function inferFromNumbers(label: string, rows: number, unique: number, fractional: boolean): InferredProblem {
  if (rows === 0) return { type: "classification", reason: `"${label}" holds no numbers` };
  if (unique <= 2) return { type: "classification", reason: `"${label}" holds ${unique} distinct values` };
  if (fractional) {
    return {
      type: "regression",
      reason: `"${label}" holds numbers with fractions (${unique} distinct values)`,
    };
  }
  const threshold = rows > LARGE_DATA_THRESHOLD ? REGRESS_THRESHOLD_LARGE_DATA : REGRESS_THRESHOLD_SMALL_DATA;
  if (unique / rows <= threshold && unique <= MULTICLASS_UPPER_LIMIT) {
    return {
      type: "classification",
      reason: `"${label}" holds whole numbers with few distinct values (${unique} in ${rows} rows)`,
    };
  }
  return {
    type: "regression",
    reason: `"${label}" holds whole numbers with many distinct values (${unique} in ${rows} rows)`,
  };
}
