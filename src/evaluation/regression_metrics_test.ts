import assert from "node:assert/strict";
import { flattenRegression, regressionMetrics } from "./regression_metrics.ts";

Deno.test("regressionMetrics matches scikit-learn's RMSE, MAE, R² and MAPE", () => {
  // sklearn.metrics on y = [3, -0.5, 2, 7], pred = [2.5, 0.0, 2, 8]:
  // mean_squared_error 0.375, mean_absolute_error 0.5, r2_score 0.9486081370449679,
  // mean_absolute_percentage_error 0.3273809523809524.
  const r = regressionMetrics([2.5, 0.0, 2, 8], [3, -0.5, 2, 7]);
  assert.equal(r.n, 4);
  assert.ok(Math.abs(r.rmse - Math.sqrt(0.375)) < 1e-12);
  assert.ok(Math.abs(r.mae - 0.5) < 1e-12);
  assert.ok(Math.abs(r.r2 - 0.9486081370449679) < 1e-12);
  assert.ok(Math.abs(r.mape! - 0.3273809523809524) < 1e-12);
  assert.equal(regressionMetrics([1, 2], [0, 2]).mape, null, "undefined where a true value is 0");
  assert.deepEqual(Object.keys(flattenRegression(regressionMetrics([1, 2], [0, 2]), "val.")), [
    "val.n",
    "val.rmse",
    "val.mae",
    "val.r2",
    "val.target_mean",
    "val.target_std",
  ]);
});
