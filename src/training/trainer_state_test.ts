import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { MlpConfig, TrainingConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { createMemoryLogger } from "../log.ts";
import { buildMlp } from "../models/mlp.ts";
import { getWeightsSnapshot, loadModel } from "../models/model_io.ts";
import type { Callback, EpochLog, TrainEngineName } from "./callbacks/callback.ts";
import { earlyStopping } from "./callbacks/early_stopping.ts";
import { metricsLogger } from "./callbacks/metrics_logger.ts";
import { modelCheckpoint } from "./callbacks/model_checkpoint.ts";
import type { OptimizerConfig } from "../config/schema.ts";
import { createOptimizer } from "./optimizers/optimizer.ts";
import { blobSources } from "../../testing/blobs.ts";
import { disposeOptimizer } from "./engines/tfjs_engine.ts";
import { createTrainer } from "./trainer.ts";
import { betaPowers } from "./optimizers/beta_powers.ts";
import {
  loadTrainerState,
  readTfjsOptimizerState,
  restoreTfjsOptimizerState,
  TRAINER_STATE_BIN,
  type TrainerState,
  writeTrainerState,
} from "./trainer_state.ts";

await useBackend("wasm");

const adam = TrainingConfig.parse({ optimizer: { lr: 0.01 } }).optimizer;
const momentum = TrainingConfig.parse({ optimizer: { name: "sgd", lr: 0.05, momentum: 0.8 } }).optimizer;
const data = blobSources({ train: 200, val: 60, features: 6, classes: 3, separation: 1.2, seed: 4 });
const mlp = () =>
  buildMlp(MlpConfig.parse({ arch: "mlp", hidden: [16, 8], dropout: 0.3 }), {
    inputShape: [6],
    numClasses: 3,
    seed: 9,
  });
const figures = (history: EpochLog[]) => history.map(({ seconds: _, ...rest }) => rest);

function sampleState(): TrainerState {
  return {
    epoch: 2,
    seed: 7,
    engine: "fused",
    optimizer: { name: "adam", step: 12, slots: [Float32Array.of(1, -2.5), Float32Array.of(3e-9)] },
    history: [
      { epoch: 1, loss: 1.1, accuracy: 0.4, seconds: 0.1, lr: 0.01, val_loss: Infinity },
      { epoch: 2, loss: NaN, accuracy: 0.5, seconds: 0.1, lr: 0.01, val_loss: 0.9 },
    ],
    monitor: "val_loss",
    best_epoch: 2,
    best: 0.9,
    train_seconds: 0.2,
    samples: 400,
    callbacks: { early_stopping: { best: NaN, wait: 1, snapshot: [Float32Array.of(0.5, 0.25, -1)] } },
  };
}

Deno.test("writeTrainerState and loadTrainerState round-trip float arrays, NaN, Infinity and callback state", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_state_" });
  try {
    const state = sampleState();
    await writeTrainerState(dir, state);
    assert.deepEqual(await loadTrainerState(dir), state);
    assert.equal((await Deno.stat(join(dir, TRAINER_STATE_BIN))).size, 4 * 6, "six floats in the .bin");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadTrainerState names a truncated .bin, a bad field and a missing file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_state_bad_" });
  try {
    await assert.rejects(
      loadTrainerState(dir),
      (e) => e instanceof MmmlError && e.code === "file_not_found" && /trainer_state\.json/.test(e.message),
    );
    await writeTrainerState(dir, sampleState());
    const bin = join(dir, TRAINER_STATE_BIN);
    await Deno.writeFile(bin, (await Deno.readFile(bin)).subarray(0, 20));
    await assert.rejects(
      loadTrainerState(dir),
      (e) =>
        e instanceof MmmlError && e.code === "artifact_corrupt" &&
        /expected 24 bytes.*received 20/.test(e.message),
    );
    await writeTrainerState(dir, { ...sampleState(), epoch: 3 });
    await assert.rejects(
      loadTrainerState(dir),
      (e) => e instanceof MmmlError && /state\.history: expected 3 epoch logs, received 2/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("betaPowers multiplies in float32 one step at a time, as tfjs's Adam does", () => {
  assert.deepEqual(betaPowers(0.9, 0.999, 0), [Math.fround(0.9), Math.fround(0.999)]);
  let p = Math.fround(0.9);
  for (let k = 0; k < 50; k++) p = Math.fround(p * Math.fround(0.9));
  assert.equal(betaPowers(0.9, 0.999, 50)[0], p);
});

for (const [label, config] of [["adam", adam], ["momentum", momentum]] as [string, OptimizerConfig][]) {
  Deno.test(`tfjs ${label} optimizer state restored into a fresh optimizer continues the same steps`, async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([[1, 2], [3, -1], [0.5, 0.5]]);
    const run = (a: tf.Variable, opt: tf.Optimizer, steps: number) => {
      for (let i = 0; i < steps; i++) {
        tf.tidy(() => void opt.minimize(() => tf.sum(tf.square(tf.matMul(x, a))) as tf.Scalar, false, [a]));
      }
    };
    const straight = tf.tidy(() => tf.variable(tf.tensor2d([[0.3], [-0.2]])));
    const opt1 = createOptimizer(config);
    run(straight, opt1, 6);
    const resumed = tf.tidy(() => tf.variable(tf.tensor2d([[0.3], [-0.2]])));
    const opt2 = createOptimizer(config);
    run(resumed, opt2, 3);
    const state = await readTfjsOptimizerState(opt2, config);
    assert.equal(state.step, 3);
    assert.equal(state.slots.length, label === "adam" ? 2 : 1);
    const opt3 = createOptimizer(config);
    await restoreTfjsOptimizerState(opt3, [resumed], state, config);
    run(resumed, opt3, 3);
    assert.deepEqual(resumed.dataSync(), straight.dataSync(), "identical to the last bit");
    for (const opt of [opt1, opt2, opt3]) disposeOptimizer(opt);
    tf.dispose([straight, resumed, x]);
    assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  });
}

Deno.test("restoreTfjsOptimizerState names a slot whose size does not fit the weight", async () => {
  const v = tf.variable(tf.zeros([2, 3]));
  const opt = createOptimizer(adam);
  try {
    await assert.rejects(
      restoreTfjsOptimizerState(opt, [v], {
        name: "adam",
        step: 2,
        slots: [new Float32Array(6), new Float32Array(5)],
      }, adam),
      (e) =>
        e instanceof MmmlError && e.code === "schema_mismatch" &&
        /slot 1 holds 5 values.*\[2,3\] has 6/.test(e.message),
    );
  } finally {
    disposeOptimizer(opt);
    v.dispose();
  }
});

/** Fits with a checkpoint (and early stopping, patient enough not to stop) into DIR. */
async function fitInto(
  dir: string,
  engine: TrainEngineName,
  optimizer: OptimizerConfig,
  epochs: number,
  resumeFrom?: string,
) {
  const model = resumeFrom ? await loadModel(join(resumeFrom, "checkpoints", "last")) : mlp();
  const resume = resumeFrom ? await loadTrainerState(join(resumeFrom, "checkpoints", "last")) : undefined;
  const stopping = earlyStopping({ monitor: "val_accuracy", patience: 10 });
  try {
    const result = await createTrainer({ logger: createMemoryLogger() }).fit(model, data.train, data.val, {
      epochs,
      batchSize: 16,
      optimizer,
      seed: 21,
      engine,
      callbacks: [
        metricsLogger(join(dir, "history.jsonl")),
        stopping,
        modelCheckpoint({ dir: join(dir, "checkpoints") }),
      ],
      resume,
    });
    return { result, weights: await getWeightsSnapshot(model), stopping };
  } finally {
    model.net.dispose();
  }
}

for (const engine of ["fused", "tfjs"] as const) {
  for (const [label, optimizer] of [["adam", adam], ["momentum", momentum]] as [string, OptimizerConfig][]) {
    Deno.test(`Trainer (${engine}, ${label}, dropout) resumed after 3 of 6 epochs ends exactly as 6 straight epochs`, async () => {
      const root = await Deno.makeTempDir({ prefix: "mmml_resume_" });
      try {
        const straight = await fitInto(join(root, "a"), engine, optimizer, 6);
        const first = await fitInto(join(root, "b"), engine, optimizer, 3);
        assert.deepEqual(figures(first.result.history), figures(straight.result.history.slice(0, 3)));
        const resumed = await fitInto(join(root, "c"), engine, optimizer, 6, join(root, "b"));
        assert.equal(resumed.result.history.length, 6);
        assert.deepEqual(figures(resumed.result.history), figures(straight.result.history));
        assert.deepEqual(resumed.weights, straight.weights);
        assert.equal(resumed.result.bestEpoch, straight.result.bestEpoch);
        assert.equal(resumed.stopping.bestEpoch, straight.stopping.bestEpoch);
        assert.ok(resumed.result.trainSeconds > first.result.trainSeconds, "training time carries on");
        const last = await loadTrainerState(join(root, "c", "checkpoints", "last"));
        assert.equal(last.epoch, 6);
        assert.equal(last.optimizer.step, 6 * Math.ceil(200 / 16));
        const logged = (await Deno.readTextFile(join(root, "c", "history.jsonl"))).trimEnd().split("\n");
        assert.deepEqual(
          logged.map((line) => JSON.parse(line).epoch),
          [1, 2, 3, 4, 5, 6],
          "the log lists the whole run",
        );
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    });
  }
}

Deno.test("a fused checkpoint resumes on the tfjs engine close to the straight fused run", async () => {
  const root = await Deno.makeTempDir({ prefix: "mmml_resume_cross_" });
  try {
    const straight = await fitInto(join(root, "a"), "fused", adam, 6);
    await fitInto(join(root, "b"), "fused", adam, 3);
    const resumed = await fitInto(join(root, "c"), "tfjs", adam, 6, join(root, "b"));
    // Dropout masks differ between the engines, so only closeness is expected.
    const gap = Math.abs(resumed.result.history[5].val_loss - straight.result.history[5].val_loss);
    assert.ok(
      gap < 0.1,
      `val_loss ${resumed.result.history[5].val_loss} vs ${straight.result.history[5].val_loss}`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Trainer refuses to resume with no epochs left or another seed, naming the setting", async () => {
  const root = await Deno.makeTempDir({ prefix: "mmml_resume_refuse_" });
  try {
    await fitInto(root, "fused", adam, 2);
    const state = await loadTrainerState(join(root, "checkpoints", "last"));
    const model = mlp();
    const fit = (over: { epochs?: number; seed?: number }) =>
      createTrainer({ logger: createMemoryLogger() }).fit(model, data.train, data.val, {
        epochs: 2,
        batchSize: 16,
        optimizer: adam,
        seed: 21,
        resume: state,
        callbacks: [earlyStopping({ monitor: "val_accuracy" })],
        ...over,
      });
    await assert.rejects(
      fit({}),
      /training\.epochs: the checkpoint has already run 2 epoch\(s\).*received 2/,
    );
    await assert.rejects(fit({ epochs: 4, seed: 5 }), /training\.seed: .*seed 21, received 5/);
    model.net.dispose();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("captureState from a callback placed before a stateful one is refused", async () => {
  const model = mlp();
  const early: Callback = { onEpochEnd: async (_e, _l, ctx) => void await ctx.captureState!() };
  try {
    await assert.rejects(
      createTrainer({ logger: createMemoryLogger() }).fit(model, data.train, data.val, {
        epochs: 1,
        batchSize: 16,
        optimizer: adam,
        seed: 1,
        callbacks: [early, earlyStopping()],
      }),
      /callback "early_stopping" runs after the one saving the trainer state/,
    );
  } finally {
    model.net.dispose();
  }
});
