/**
 * What the Trainer does within an epoch: one pass of training steps over a source (labels checked,
 * class weights per row, a callback after each batch), and the validation pass after it.
 */
import { MmmlError } from "../errors.ts";
import type { TrainContext } from "./callbacks/callback.ts";
import type { CallbackList } from "./callbacks/callback_list.ts";
import type { DataSource } from "../data/data_source.ts";
import { accuracy, logLoss } from "../evaluation/metrics.ts";
import { deriveSeed } from "../random.ts";
import type { StepEngine } from "./engines/step_engine.ts";
import type { FitOptions, ValMetrics } from "./fit_options.ts";
import { CLASSIFICATION, type Objective, regressionLoss } from "./objective.ts";

/**
 * One pass over the training source; `ms` is the time in steps (and the weight sync), not in loading.
 * Each step runs at `learningRate(epoch, step)`; `lr` is the rate of the epoch's last step.
 */
export async function trainEpoch(
  engine: StepEngine,
  train: DataSource,
  epoch: number,
  options: FitOptions,
  ctx: TrainContext,
  { callbacks, clock, stopped, learningRate }: {
    callbacks: Pick<CallbackList, "onBatchEnd">;
    clock: () => number;
    stopped: () => boolean;
    learningRate: (epoch: number, step: number) => number;
  },
): Promise<{ lossSum: number; correct: number | null; rows: number; ms: number; lr: number }> {
  const { batchSize, seed, classWeights } = options;
  const regression = options.objective?.kind === "regression";
  let lossSum = 0, correct: number | null = regression ? null : 0, rows = 0, ms = 0, step = 0;
  let lr = learningRate(epoch, 0);
  const batches = train.batches({
    batchSize,
    shuffle: options.shuffle ?? true,
    seed: deriveSeed(seed, epoch),
    augment: options.augment ?? false,
  });
  for await (const batch of batches) {
    if (regression) checkTargets(batch.target, batch.size, epoch, step);
    else checkLabels(batch.y, batch.size, ctx.model.spec.numClasses, epoch, step);
    lr = learningRate(epoch, step);
    engine.setLearningRate(lr);
    const t0 = clock();
    const weights = classWeights && !regression ? sampleWeights(batch.y, batch.size, classWeights) : null;
    const result = await engine.step(batch, weights, deriveSeed(seed, epoch, step));
    ms += clock() - t0;
    lossSum += result.loss * batch.size;
    if (correct !== null && result.correct !== null) correct += result.correct;
    rows += batch.size;
    const logs = {
      batch: step,
      size: batch.size,
      loss: result.loss,
      ...(result.correct === null ? {} : { accuracy: result.correct / batch.size }),
    };
    await callbacks.onBatchEnd(step, logs, ctx);
    step++;
    if (stopped()) break;
  }
  const t0 = clock();
  engine.sync();
  ms += clock() - t0;
  return { lossSum, correct, rows, ms, lr };
}

/**
 * Outputs for the whole validation source, then val_loss (the training objective's), val_accuracy
 * (classes) and the extra metrics.
 */
export async function validate(
  engine: StepEngine,
  val: DataSource,
  batchSize: number,
  valMetrics: ValMetrics | undefined,
  objective: Objective = CLASSIFICATION,
): Promise<Record<string, number>> {
  const k = val.numClasses;
  const probs = new Float32Array(val.size * k);
  const y = new Int32Array(val.size);
  const t = objective.kind === "regression" ? new Float32Array(val.size) : null;
  let rows = 0;
  for await (const batch of val.batches({ batchSize, shuffle: false, seed: 0, augment: false })) {
    probs.set(await engine.predict(batch.x, batch.size), rows * k);
    y.set(batch.y.subarray(0, batch.size), rows);
    if (t) t.set(batch.target!.subarray(0, batch.size), rows);
    rows += batch.size;
  }
  if (rows !== val.size) {
    throw new Error(`validation source yielded ${rows} rows, its size says ${val.size}`);
  }
  const out: Record<string, number> = objective.kind === "regression"
    ? { val_loss: regressionLoss(probs, t!, objective) }
    : { val_loss: logLoss(probs, y, k, { eps: 1e-7 }), val_accuracy: accuracy(probs, y, k) };
  for (const [name, value] of Object.entries(valMetrics?.(probs, t ?? y, k) ?? {})) {
    out[name.startsWith("val_") ? name : `val_${name}`] = value;
  }
  return out;
}

function checkTargets(target: Float32Array | undefined, n: number, epoch: number, step: number): void {
  if (!target || target.length < n) {
    throw new MmmlError(
      "invalid_input",
      `training batch ${step} of epoch ${epoch}: a regression batch needs targets`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(target[i])) {
      throw new MmmlError(
        "invalid_input",
        `training batch ${step} of epoch ${epoch}, row ${i}: expected a finite target, received ${target[i]}`,
      );
    }
  }
}

function sampleWeights(y: Int32Array, n: number, classWeights: Float32Array): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = classWeights[y[i]];
  return w;
}

function checkLabels(y: Int32Array, n: number, k: number, epoch: number, step: number): void {
  for (let i = 0; i < n; i++) {
    if (!(y[i] >= 0 && y[i] < k)) {
      throw new MmmlError(
        "invalid_input",
        `training batch ${step} of epoch ${epoch}, row ${i}: expected a class index in [0, ${k}), received ${
          y[i]
        }`,
      );
    }
  }
}
