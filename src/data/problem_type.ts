/**
 * Classes or a number? AutoGluon's rule (autogluon.core.utils.infer_problem_type): a label that is not
 * all numbers is classes; numbers with a fraction are a regression; whole numbers are classes when there
 * are few distinct values for the rows (at most 10% of them, 5% past 1,000 rows, and at most 1,000
 * values), else a regression. Two distinct values are always classes.
 */
import { parseNumberCell } from "./cells.ts";
import type { RawTable } from "./table.ts";

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
  let rows = 0, fractional = false;
  for (const cell of cells) {
    const parsed = parseNumberCell(cell);
    if (!parsed.ok) return { type: "classification", reason: `"${label}" holds text` };
    if (parsed.value === null) continue;
    rows++;
    distinct.add(parsed.value);
    if (!Number.isInteger(parsed.value)) fractional = true;
  }
  const unique = distinct.size;
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
