/**
 * Training steps of a vision architecture on seeded random images, timed: the speed figure of
 * `mmml gpu-check` (and of scripts that compare hosts). Reads are all async (`await data()`):
 * tfjs-backend-webgpu's dataSync needs an OffscreenCanvas, which Deno lacks.
 */
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../backend/choose.ts";
import { type ArchName, type BackendName, ModelConfig } from "../config/schema.ts";
import { buildModel } from "../models/architectures.ts";
import { createRng } from "../random.ts";

export interface TrainBenchOptions {
  backend: BackendName;
  arch: Exclude<ArchName, "mlp">;
  batch: number;
  size: number;
  steps: number;
  warmup: number;
  classes: number;
  /** Stop timing after this many seconds even if fewer steps ran (0: no limit). */
  budgetSeconds?: number;
}

export interface TrainBenchResult {
  backend: string;
  reason: string;
  adapter: unknown;
  model: string;
  batch: number;
  size: number;
  /** Timed steps that ran (fewer than asked when the budget ran out). */
  steps: number;
  /** Timed steps per second, times the batch. */
  images_per_s: number;
  /** Median time of one timed step. */
  step_ms: number;
  /** Warm-up steps include compiling every shader or kernel once. */
  warmup_s: number;
  loss_first: number;
  loss_last: number;
}

/** Trains `arch` on one seeded random batch for `warmup + steps` steps and times the last `steps`. */
export async function benchTraining(o: TrainBenchOptions): Promise<TrainBenchResult> {
  const choice = await useBackend(o.backend);
  const config = ModelConfig.parse({ arch: o.arch, dropout: 0 });
  const model = buildModel(config, { inputShape: [o.size, o.size, 3], numClasses: o.classes, seed: 1 });
  const optimizer = tf.train.sgd(0.01);
  model.net.compile({ optimizer, loss: "categoricalCrossentropy" });
  const rng = createRng(7);
  const pixels = Float32Array.from({ length: o.batch * o.size * o.size * 3 }, () => rng.next() - 0.5);
  const x = tf.tensor4d(pixels, [o.batch, o.size, o.size, 3]);
  const labels = tf.tensor1d(Array.from({ length: o.batch }, (_, i) => i % o.classes), "int32");
  const y = tf.oneHot(labels, o.classes);
  try {
    const losses: number[] = [];
    const started = performance.now();
    for (let i = 0; i < o.warmup; i++) losses.push(Number(await model.net.trainOnBatch(x, y)));
    const warmup = (performance.now() - started) / 1000;
    const times: number[] = [];
    const deadline = performance.now() + (o.budgetSeconds ?? 0) * 1000;
    for (let i = 0; i < o.steps; i++) {
      const t = performance.now();
      // trainOnBatch reads the loss back, so each step has finished on the device when it returns.
      losses.push(Number(await model.net.trainOnBatch(x, y)));
      times.push(performance.now() - t);
      if (o.budgetSeconds && performance.now() > deadline) break;
    }
    const total = times.reduce((a, b) => a + b, 0) / 1000;
    return {
      backend: choice.name,
      reason: choice.reason,
      adapter: choice.details.adapter ?? null,
      model: o.arch,
      batch: o.batch,
      size: o.size,
      steps: times.length,
      images_per_s: Number(((o.batch * times.length) / total).toFixed(2)),
      step_ms: Number(median(times).toFixed(1)),
      warmup_s: Number(warmup.toFixed(2)),
      loss_first: losses[0],
      loss_last: losses.at(-1)!,
    };
  } finally {
    tf.dispose([x, labels, y]);
    optimizer.dispose();
    model.net.dispose();
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
