/**
 * The schema of a tabular data set: which feature columns exist, their types and whether they may be
 * missing, plus the label and its classes. Inferred from training data or read from a file, saved with
 * the model, and enforced at predict and serve time.
 */
import { z } from "zod";
import { ColumnType } from "../config/schema.ts";

export const ColumnSchema = z.strictObject({
  name: z.string().min(1),
  type: ColumnType,
  nullable: z.boolean().default(true),
  required: z.boolean().default(true),
  /** Categories seen in training (categorical and boolean columns), sorted. */
  categories: z.array(z.string()).optional(),
});
export type ColumnSchema = z.infer<typeof ColumnSchema>;

export const DataSchema = z.strictObject({
  /** Feature columns in model order; the label is not among them. */
  columns: z.array(ColumnSchema),
  label: z.string().min(1),
  /** Class names, sorted; index i is model output i. */
  classes: z.array(z.string()).min(2),
});
export type DataSchema = z.infer<typeof DataSchema>;

/** Strings read as booleans (case-insensitive) when a column is boolean. */
export const TRUE_STRINGS = ["true", "yes", "y", "t", "1"] as const;
export const FALSE_STRINGS = ["false", "no", "n", "f", "0"] as const;
