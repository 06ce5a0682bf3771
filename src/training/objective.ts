/**
 * What a fit minimises: softmax cross-entropy over classes, or for regression the mean squared error or
 * Huber loss of one output against a (standardised) target. Both engines compute these; this file holds
 * the reference formulas the validation loss and the tests use.
 */

/** The loss a fit trains with. */
export type Objective =
  | { kind: "classification" }
  | { kind: "regression"; loss: "mse" | "huber"; delta: number };

/** The classification objective (softmax cross-entropy from the head's logits). */
export const CLASSIFICATION: Objective = Object.freeze({ kind: "classification" });

/** Mean over rows of the regression loss of `pred` against `target`. */
export function regressionLoss(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  objective: Extract<Objective, { kind: "regression" }>,
): number {
  const n = target.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = pred[i] - target[i];
    if (objective.loss === "mse") sum += e * e;
    else {
      const a = Math.abs(e);
      sum += a <= objective.delta ? 0.5 * e * e : objective.delta * (a - 0.5 * objective.delta);
    }
  }
  return sum / n;
}
