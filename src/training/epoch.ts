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
): Promise<{ lossSum: number; correct: number; rows: number; ms: number; lr: number }> {
  const { batchSize, seed, classWeights } = options;
  let lossSum = 0, correct = 0, rows = 0, ms = 0, step = 0, lr = learningRate(epoch, 0);
  const batches = train.batches({
    batchSize,
    shuffle: options.shuffle ?? true,
    seed: deriveSeed(seed, epoch),
    augment: options.augment ?? false,
  });
  for await (const batch of batches) {
    checkLabels(batch.y, batch.size, ctx.model.spec.numClasses, epoch, step);
    lr = learningRate(epoch, step);
    engine.setLearningRate(lr);
    const t0 = clock();
    const weights = classWeights ? sampleWeights(batch.y, batch.size, classWeights) : null;
    const result = await engine.step(batch, weights, deriveSeed(seed, epoch, step));
    ms += clock() - t0;
    lossSum += result.loss * batch.size;
    correct += result.correct;
    rows += batch.size;
    const logs = { batch: step, size: batch.size, loss: result.loss, accuracy: result.correct / batch.size };
    await callbacks.onBatchEnd(step, logs, ctx);
    step++;
    if (stopped()) break;
  }
  const t0 = clock();
  engine.sync();
  ms += clock() - t0;
  return { lossSum, correct, rows, ms, lr };
}

/** Probabilities for the whole validation source, then val_loss, val_accuracy and the extra metrics. */
export async function validate(
  engine: StepEngine,
  val: DataSource,
  batchSize: number,
  valMetrics: ValMetrics | undefined,
): Promise<Record<string, number>> {
  const k = val.numClasses;
  const probs = new Float32Array(val.size * k);
  const y = new Int32Array(val.size);
  let rows = 0;
  for await (const batch of val.batches({ batchSize, shuffle: false, seed: 0, augment: false })) {
    probs.set(await engine.predict(batch.x, batch.size), rows * k);
    y.set(batch.y.subarray(0, batch.size), rows);
    rows += batch.size;
  }
  if (rows !== val.size) {
    throw new Error(`validation source yielded ${rows} rows, its size says ${val.size}`);
  }
  const out: Record<string, number> = {
    val_loss: logLoss(probs, y, k, { eps: 1e-7 }),
    val_accuracy: accuracy(probs, y, k),
  };
  for (const [name, value] of Object.entries(valMetrics?.(probs, y, k) ?? {})) {
    out[name.startsWith("val_") ? name : `val_${name}`] = value;
  }
  return out;
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
