/**
 * Regression training on both engines: the tfjs engine and the fused dense kernel compute the same mean
 * squared error, Huber loss and weight decay, and a linear target is learned.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../backend/choose.ts";
import { MlpConfig, TrainingConfig } from "../config/schema.ts";
import { createTabularSource } from "../data/tabular_source.ts";
import { createMemoryLogger } from "../log.ts";
import { buildMlp } from "../models/mlp.ts";
import { createRng } from "../random.ts";
import type { EpochLog } from "./callbacks/callback.ts";
import type { Objective } from "./objective.ts";
import { regressionLoss } from "./objective.ts";
import { createTrainer } from "./trainer.ts";

await useBackend("wasm");

/** y = 2 x0 - x1 + 0.5 x2 + noise, standardised-ish. */
function linearSource(rows: number, seed: number) {
  const rng = createRng(seed);
  const x = new Float32Array(rows * 4), t = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < 4; j++) x[i * 4 + j] = rng.normal();
    t[i] = (2 * x[i * 4] - x[i * 4 + 1] + 0.5 * x[i * 4 + 2]) / 2.3 + 0.05 * rng.normal();
  }
  return createTabularSource(x, new Int32Array(rows), 4, 1, t);
}

const adam = TrainingConfig.parse({ optimizer: { lr: 0.01 } }).optimizer;
const model = () =>
  buildMlp(MlpConfig.parse({ arch: "mlp", hidden: [16], dropout: 0 }), {
    inputShape: [4],
    numClasses: 1,
    output: "linear",
    seed: 3,
  });

async function fit(engine: "tfjs" | "fused", objective: Objective, weightDecay = 0): Promise<EpochLog[]> {
  const m = model();
  try {
    const { history } = await createTrainer({ logger: createMemoryLogger() }).fit(
      m,
      linearSource(256, 1),
      linearSource(64, 2),
      { epochs: 3, batchSize: 32, optimizer: adam, seed: 7, engine, objective, weightDecay },
    );
    return history;
  } finally {
    m.net.dispose();
  }
}

for (
  const objective of [{ kind: "regression", loss: "mse", delta: 1 }, {
    kind: "regression",
    loss: "huber",
    delta: 0.5,
  }] as const
) {
  Deno.test(`the tfjs and fused engines agree on a regression (${objective.loss}, with weight decay)`, async () => {
    const before = tf.memory().numTensors;
    for (const wd of [0, 0.05]) {
      const [a, b] = [await fit("tfjs", objective, wd), await fit("fused", objective, wd)];
      for (let i = 0; i < 3; i++) {
        for (const key of ["loss", "val_loss"]) {
          assert.ok(
            Math.abs(a[i][key] - b[i][key]) < 1e-4,
            `wd ${wd} epoch ${i + 1} ${key}: ${a[i][key]} vs ${b[i][key]}`,
          );
        }
        assert.equal(a[i].accuracy, undefined, "no accuracy for a regression");
      }
      assert.ok(a[2].val_loss < a[0].val_loss, "the validation loss falls");
    }
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
  });
}

Deno.test("weight decay shrinks the kernels, and regressionLoss is MSE or Huber", async () => {
  const norm = async (wd: number) => {
    const m = model();
    await createTrainer({ logger: createMemoryLogger() }).fit(m, linearSource(256, 1), null, {
      epochs: 4,
      batchSize: 32,
      optimizer: adam,
      seed: 7,
      engine: "fused",
      objective: { kind: "regression", loss: "mse", delta: 1 },
      weightDecay: wd,
    });
    const kernel = m.net.layers[0].getWeights()[0];
    const value = tf.tidy(() => tf.sum(tf.square(kernel)).dataSync()[0]);
    m.net.dispose();
    return value;
  };
  assert.ok(await norm(0.5) < await norm(0), "decayed kernels are smaller");
  assert.equal(regressionLoss([1, 3], [0, 0], { kind: "regression", loss: "mse", delta: 1 }), 5);
  assert.equal(
    regressionLoss([1, 3], [0, 0], { kind: "regression", loss: "huber", delta: 1 }),
    (0.5 + 2.5) / 2,
  );
});
