/**
 * Regression metrics with scikit-learn's definitions: RMSE, MAE, R² (r2_score: 1 - SS_res / SS_tot) and
 * MAPE (mean_absolute_percentage_error, as a fraction), left out (null) where a true value is 0 and it is
 * undefined. Predictions and targets are in the target's own unit.
 */

/** A split's regression figures; what metrics.json and `mmml evaluate --json` hold for a regression. */
export interface RegressionReport {
  n: number;
  rmse: number;
  mae: number;
  r2: number;
  /** Null when a true value is 0. */
  mape: number | null;
  /** The split's true values: mean and (population) std, to read RMSE against. */
  target_mean: number;
  target_std: number;
}

/** The figures of `pred` against `y` (same length, at least one row). */
export function regressionMetrics(pred: ArrayLike<number>, y: ArrayLike<number>): RegressionReport {
  const n = y.length;
  if (n === 0 || pred.length !== n) {
    throw new RangeError(`regressionMetrics: expected ${n} > 0 predictions, received ${pred.length}`);
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  let ssRes = 0, ssTot = 0, abs = 0, pct = 0, zero = false;
  for (let i = 0; i < n; i++) {
    const e = y[i] - pred[i];
    ssRes += e * e;
    ssTot += (y[i] - mean) ** 2;
    abs += Math.abs(e);
    if (y[i] === 0) zero = true;
    else pct += Math.abs(e) / Math.abs(y[i]);
  }
  // As r2_score: a constant truth scores 1 when predicted exactly, else 0.
  const r2 = ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  return {
    n,
    rmse: Math.sqrt(ssRes / n),
    mae: abs / n,
    r2,
    mape: zero ? null : pct / n,
    target_mean: mean,
    target_std: Math.sqrt(ssTot / n),
  };
}

/** The report's numbers keyed `prefix + name` (registry metadata); a null MAPE is left out. */
export function flattenRegression(report: RegressionReport, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(report)) if (typeof value === "number") out[prefix + key] = value;
  return out;
}
