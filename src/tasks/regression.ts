/**
 * The regression task's rules: table rows become an MLP's features as for classes (tabular_data.ts), the
 * model has one linear output trained on the standardised target with mean squared error (or Huber), the
 * exported graph turns its output back into the target's unit (output `value`), and splits are scored
 * with RMSE, MAE, R² and MAPE (@best picks the lowest validation RMSE: src/registry/model_ref.ts).
 */
import type { MmmlConfig } from "../config/schema.ts";
import {
  flattenRegression,
  regressionMetrics,
  type RegressionReport,
} from "../evaluation/regression_metrics.ts";
import { unscaleTargets } from "../preprocess/target_scaling.ts";
import { runRegressionEvaluation, runRegressionPrediction } from "./regression_scoring.ts";
import { prepareTabularData, tabularPrepared } from "./tabular_data.ts";
import { TABULAR_TASK } from "./tabular.ts";
import type { TaskRules } from "./task_rules.ts";

/** The figures `train --json` prints per split. */
const REGRESSION_SCALARS = ["rmse", "mae", "r2", "mape"] as const;

/** A regression's config: data.problem_type pinned, so preparing the data never guesses again. */
const asRegression = (config: MmmlConfig): MmmlConfig => ({
  ...config,
  data: { ...config.data, problem_type: "regression" },
});

/** The rules of a number predicted from table rows. */
export const REGRESSION_TASK: TaskRules = Object.freeze<TaskRules>({
  ...TABULAR_TASK,
  name: "regression",
  modelOutput: "linear",
  // Regressions are often a few hundred rows, where an MLP loses to Ridge unless it trains long enough,
  // small and regularised by weight decay; dropout (0.1) cost R² on both real sets (README, "Benchmarks").
  defaults: {
    "training.epochs": 300,
    "training.batch_size": 32,
    "training.early_stopping.patience": 20,
    "model.hidden": [64, 32],
    "model.dropout": 0,
  },
  // As scikit-learn's MLP alpha: the penalty weighs less as rows add up (0.1 at 300 rows).
  autoWeightDecay: (trainRows) => Math.min(0.1, 30 / Math.max(1, trainRows)),
  objective(config) {
    const loss = config.training.loss === "huber" ? "huber" : "mse";
    return { kind: "regression", loss, delta: config.training.huber_delta };
  },
  async prepare(config, logger, saved) {
    if (!saved) return tabularPrepared(await prepareTabularData(asRegression(config), logger));
    return await TABULAR_TASK.prepare(asRegression(config), logger, saved);
  },
  async readInputs(folder) {
    const inputs = await TABULAR_TASK.readInputs(folder);
    return inputs.task === "image" ? inputs : { ...inputs, task: "regression" };
  },
  servingInput(inputs, folder) {
    return { ...TABULAR_TASK.servingInput(inputs, folder), output: "value" } as const;
  },
  valMetrics(data) {
    const scaling = data.target!;
    return (outputs, truth) => {
      const m = regressionMetrics(unscaleTargets(outputs, scaling), unscaleTargets(truth, scaling));
      return { rmse: m.rmse, mae: m.mae, r2: m.r2 };
    };
  },
  report(outputs, source, data) {
    const scaling = data.target!;
    return regressionMetrics(unscaleTargets(outputs, scaling), unscaleTargets(source.targets!(), scaling));
  },
  flatten: (report, prefix) => flattenRegression(report as RegressionReport, prefix),
  scalars(report) {
    if (!report) return {};
    const r = report as RegressionReport;
    return Object.fromEntries(
      REGRESSION_SCALARS.filter((k) => r[k] !== null).map((k) => [k, r[k] as number]),
    );
  },
  evaluate: (trained, path, options) => runRegressionEvaluation(trained, path, options),
  predict: (trained, path, options) => runRegressionPrediction(trained, path, options),
});
