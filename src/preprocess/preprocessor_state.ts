/**
 * The fitted state of the tabular preprocessor, saved as JSON with the model. It is everything needed
 * to turn a row into the model's feature vector, and it is what the ONNX exporter folds into the graph.
 *
 * Feature vector layout: all numeric features first (schema order, booleans count as numeric 0/1),
 * then each categorical column's block (one-hot: one slot per category; label: one slot).
 */
import { z } from "zod";

export const NumericFeature = z.strictObject({
  name: z.string(),
  kind: z.enum(["numeric", "boolean"]),
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
});
export type PreprocessorState = z.infer<typeof PreprocessorState>;
