/**
 * The schema of a tabular data set: which feature columns exist, their types and whether they may be
 * missing, plus the label and its classes. Inferred from training data or read from a file, saved with
 * the model, and enforced at predict and serve time.
 */
import { z } from "zod";
import { ColumnType } from "../config/schema.ts";
import { DATE_FORMATS } from "./dates.ts";

export const ColumnSchema = z.strictObject({
  name: z.string().min(1),
  type: ColumnType,
  nullable: z.boolean().default(true),
  required: z.boolean().default(true),
  /** Categories seen in training (categorical and boolean columns), sorted. */
  categories: z.array(z.string()).optional(),
  /** How a date column's cells are written (src/data/dates.ts). */
  format: z.enum(DATE_FORMATS).optional(),
});
export type ColumnSchema = z.infer<typeof ColumnSchema>;

export const DataSchema = z.strictObject({
  /** Feature columns in model order; the label is not among them. */
  columns: z.array(ColumnSchema),
  label: z.string().min(1),
  /** What the label is: classes (when absent), or a number ("regression"). */
  problem_type: z.enum(["classification", "regression"]).optional(),
  /** Class names, sorted; index i is model output i. None for a regression. */
  classes: z.array(z.string()),
  /** Cell texts read as missing besides an empty cell (data.na_values), at predict and serve time too. */
  na_values: z.array(z.string()).optional(),
}).superRefine((schema, ctx) => {
  if (schema.problem_type !== "regression" && schema.classes.length < 2) {
    ctx.addIssue({ code: "custom", path: ["classes"], message: "expected at least 2 classes" });
  }
});
export type DataSchema = z.infer<typeof DataSchema>;

/** Strings read as booleans (case-insensitive) when a column is boolean. */
export const TRUE_STRINGS = ["true", "yes", "y", "t", "1"] as const;
export const FALSE_STRINGS = ["false", "no", "n", "f", "0"] as const;
