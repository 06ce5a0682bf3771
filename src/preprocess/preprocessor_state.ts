/**
 * The fitted state of the tabular preprocessor, saved as JSON with the model. It is everything needed
 * to turn a row into the model's feature vector, and it is what the ONNX exporter folds into the graph.
 *
 * Feature vector layout: all numeric features first (schema order, booleans count as numeric 0/1, a date
 * as its year, month, day, weekday and day of year),
 * then each categorical column's block (one-hot: one slot per category; label: one slot).
 */
import { z } from "zod";
import { DATE_FORMATS, DATE_PARTS } from "../data/dates.ts";

export const NumericFeature = z.strictObject({
  /** The feature's name: the column's, or `column.part` for a part of a date column. */
  name: z.string(),
  kind: z.enum(["numeric", "boolean", "date"]),
  /** A date feature's source column and which part of the date it is, in the column's format. */
  column: z.string().optional(),
  part: z.enum(DATE_PARTS).optional(),
  format: z.enum(DATE_FORMATS).optional(),
  /** Value that replaces a missing cell (before scaling). */
  fill: z.number(),
  /** Standard scaling: (x - mean) / std; mean 0 and std 1 when scaling is off; std is never 0. */
  mean: z.number(),
  std: z.number().positive(),
});
export type NumericFeature = z.infer<typeof NumericFeature>;

export const CategoricalFeature = z.strictObject({
  name: z.string(),
  encoding: z.enum(["onehot", "label"]),
  /** Categories seen in training, sorted; one-hot slot i / label code i. */
  categories: z.array(z.string()),
  /** Value that replaces a missing cell. */
  fill: z.string(),
  unknown: z.enum(["ignore", "error"]),
});
export type CategoricalFeature = z.infer<typeof CategoricalFeature>;

export const PreprocessorState = z.strictObject({
  version: z.literal(1),
  numeric: z.array(NumericFeature),
  categorical: z.array(CategoricalFeature),
  /** Width of the feature vector the model sees. */
  featureCount: z.number().int().nonnegative(),
  /** Names of the feature vector's slots, e.g. "bill_length_mm", "island=Dream". */
  featureNames: z.array(z.string()),
  /**
   * Regression: the target's standardisation, fitted on the training rows; the model predicts
   * (y - mean) / std and the exported graph turns that back into y.
   */
  target: z.strictObject({ name: z.string(), mean: z.number(), std: z.number().positive() }).optional(),
});
export type PreprocessorState = z.infer<typeof PreprocessorState>;

/** The input column a numeric feature reads (a date part reads its date column). */
export function sourceColumn(feature: NumericFeature | CategoricalFeature): string {
  return "column" in feature && feature.column ? feature.column : feature.name;
}
