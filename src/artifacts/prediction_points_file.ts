/**
 * prediction_points.json: a regression's true and predicted values on the validation and test splits,
 * kept at train time (the predictions themselves are not) so a report drawn later can plot predicted
 * against actual and the residuals. At most POINTS_LIMIT rows a split, spread evenly over the rows sorted
 * by their true value, so the file stays small whatever the split's size.
 */
import { z } from "zod";

/** The file's format tag; a reader refuses any other. */
export const POINTS_FORMAT = "mmml.prediction_points/1";

/** Rows kept per split. */
export const POINTS_LIMIT = 1000;

export const PointsSplit = z.object({
  /** Rows in the split (the points may be fewer). */
  n: z.number().int().positive(),
  actual: z.array(z.number()),
  predicted: z.array(z.number()),
}).refine((s) => s.actual.length === s.predicted.length, { message: "actual and predicted must pair up" });
export type PointsSplit = z.infer<typeof PointsSplit>;

// Plain z.object: machine-written, and a later version may add fields an older reader should ignore.
export const PredictionPoints = z.object({
  format: z.literal(POINTS_FORMAT),
  target: z.string(),
  splits: z.object({ val: PointsSplit.optional(), test: PointsSplit.optional() }),
});
export type PredictionPoints = z.infer<typeof PredictionPoints>;

/** At most `limit` pairs of a split, evenly spaced over its rows ordered by true value. */
export function samplePoints(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  limit = POINTS_LIMIT,
): PointsSplit {
  const n = actual.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => actual[a] - actual[b]);
  const keep = n <= limit
    ? order
    : Array.from({ length: limit }, (_, j) => order[Math.round((j * (n - 1)) / (limit - 1))]);
  const round = (v: number) => Number(v.toPrecision(7));
  return { n, actual: keep.map((i) => round(actual[i])), predicted: keep.map((i) => round(predicted[i])) };
}
