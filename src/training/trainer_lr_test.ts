/** The Trainer under learning-rate schedules and reduce-on-plateau, on both step engines. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MlpConfig, TrainingConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { createMemoryLogger } from "../log.ts";
import { buildMlp } from "../models/mlp.ts";
import { getWeightsSnapshot, loadModel, type WeightsSnapshot } from "../models/model_io.ts";
import type { Callback, EpochLog, TrainContext, TrainEngineName } from "./callbacks/callback.ts";
import { modelCheckpoint } from "./callbacks/model_checkpoint.ts";
import { reduceLrOnPlateau } from "./callbacks/reduce_lr_on_plateau.ts";
import { type LrScheduleConfig, scheduledLr } from "./lr_schedule.ts";
import type { OptimizerConfig } from "../config/schema.ts";
import { blobSources } from "../../testing/blobs.ts";
import type { FitOptions } from "./fit_options.ts";
import { createTrainer } from "./trainer.ts";
import { loadTrainerState } from "./trainer_state.ts";

await useBackend("wasm");

const training = (over: Record<string, unknown>) => TrainingConfig.parse(over);
const data = blobSources({ train: 96, val: 40, features: 5, classes: 3, separation: 1.2, seed: 7 });
const mlp = (dropout = 0) =>
  buildMlp(MlpConfig.parse({ arch: "mlp", hidden: [12], dropout }), {
    inputShape: [5],
    numClasses: 3,
    seed: 5,
  });
const figures = (history: EpochLog[]) => history.map(({ seconds: _, ...rest }) => rest);

/** Fits an MLP, keeping each epoch's weights. */
async function fitRecorded(engine: TrainEngineName, options: Partial<FitOptions>, dropout = 0) {
  const model = mlp(dropout);
  const perEpoch: WeightsSnapshot[] = [];
  const recorder: Callback = {
    onEpochEnd: async (_e, _l, ctx) => void perEpoch.push(await getWeightsSnapshot(ctx.model)),
  };
  try {
    const result = await createTrainer({ logger: createMemoryLogger() }).fit(model, data.train, data.val, {
      epochs: 4,
      batchSize: 16,
      optimizer: training({ optimizer: { name: "sgd", lr: 0.1, momentum: 0 } }).optimizer,
      seed: 3,
      engine,
      ...options,
      callbacks: [recorder, ...(options.callbacks ?? [])],
    });
    return { result, perEpoch };
  } finally {
    model.net.dispose();
  }
}

const distance = (a: WeightsSnapshot, b: WeightsSnapshot) =>
  Math.sqrt(a.reduce((s, w, i) => s + w.reduce((t, v, j) => t + (v - b[i][j]) ** 2, 0), 0));

for (const engine of ["tfjs", "fused"] as const) {
  Deno.test(`Trainer (${engine}) steps at the scheduled rate and logs each epoch's last rate`, async () => {
    // step_size 1, gamma 1e-6: epoch 1 at lr 0.1, then next to nothing.
    const lrSchedule = training({ lr_schedule: { name: "step", step_size: 1, gamma: 1e-6 } }).lr_schedule;
    const { result, perEpoch } = await fitRecorded(engine, { lrSchedule });
    assert.deepEqual(result.history.map((h) => h.lr), [0, 1, 2, 3].map((e) => 0.1 * 1e-6 ** e));
    const first = distance(perEpoch[0], await fitRecorded(engine, { epochs: 1 }).then((r) => r.perEpoch[0]));
    assert.equal(first, 0, "epoch 1 runs at the base rate, as an unscheduled run");
    const moved = distance(perEpoch[1], perEpoch[0]);
    const constant = await fitRecorded(engine, {});
    const movedConstant = distance(constant.perEpoch[1], constant.perEpoch[0]);
    assert.ok(moved < movedConstant * 1e-4, `epoch 2 moved ${moved}, ${movedConstant} at a constant rate`);
    assert.ok(moved > 0, "a tiny rate still moves the weights");
  });

  Deno.test(`Trainer (${engine}) under a cosine schedule resumes mid-run exactly as the straight run`, async () => {
    const lrSchedule = training({ lr_schedule: { name: "cosine", warmup_epochs: 0.5 } }).lr_schedule;
    const adam = training({ optimizer: { lr: 0.02 } }).optimizer;
    const root = await Deno.makeTempDir({ prefix: "mmml_lr_resume_" });
    try {
      const straight = await fitInto(join(root, "a"), engine, adam, lrSchedule);
      const cut = await fitInto(join(root, "b"), engine, adam, lrSchedule, { stopAfter: 3 });
      assert.equal(cut.result.history.length, 3);
      const resumed = await fitInto(join(root, "c"), engine, adam, lrSchedule, {
        resumeFrom: join(root, "b"),
      });
      assert.deepEqual(figures(resumed.result.history), figures(straight.result.history));
      assert.deepEqual(resumed.weights, straight.weights);
      const lrs = straight.result.history.map((h) => h.lr);
      const steps = Math.ceil(96 / 16);
      lrs.forEach((lr, e) =>
        assert.equal(
          lr,
          scheduledLr(lrSchedule, 0.02, {
            step: (e + 1) * steps - 1,
            stepsPerEpoch: steps,
            totalSteps: 6 * steps,
          }),
        )
      );
      lrs.slice(1).forEach((lr, e) => assert.ok(lr < lrs[e], `cosine rates fall: ${lrs}`));
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

/** Six epochs of Adam with a checkpoint in DIR; `stopAfter` asks to stop after that epoch. */
async function fitInto(
  dir: string,
  engine: TrainEngineName,
  optimizer: OptimizerConfig,
  lrSchedule: LrScheduleConfig,
  { stopAfter, resumeFrom }: { stopAfter?: number; resumeFrom?: string } = {},
) {
  const model = resumeFrom ? await loadModel(join(resumeFrom, "checkpoints", "last")) : mlp(0.2);
  const resume = resumeFrom ? await loadTrainerState(join(resumeFrom, "checkpoints", "last")) : undefined;
  const stopper: Callback = { onEpochEnd: (e, _l, ctx) => void (e === stopAfter && ctx.requestStop("cut")) };
  try {
    const result = await createTrainer({ logger: createMemoryLogger() }).fit(model, data.train, data.val, {
      epochs: 6,
      batchSize: 16,
      optimizer,
      lrSchedule,
      seed: 8,
      engine,
      callbacks: [stopper, modelCheckpoint({ dir: join(dir, "checkpoints") })],
      resume,
    });
    return { result, weights: await getWeightsSnapshot(model) };
  } finally {
    model.net.dispose();
  }
}

Deno.test("ReduceLROnPlateau lowers the rate after patience epochs, waits out its cooldown, stops at min_lr", async () => {
  // val_f1 is scripted (maximised): improvements at 1, 2 and 6 only.
  const script = [0.5, 0.6, 0.6, 0.55, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7];
  let epoch = 0;
  const plateau = reduceLrOnPlateau({
    monitor: "val_f1",
    factor: 0.5,
    patience: 2,
    cooldown: 1,
    minLr: 0.02,
  });
  const { result } = await fitRecorded("fused", {
    epochs: script.length,
    valMetrics: () => ({ f1: script[epoch++] }),
    callbacks: [plateau],
  });
  // Waits 3 and 4 -> halve after 4; cooldown epoch 5; improves at 6; waits 7, 8 -> halve after 8;
  // cooldown 9; waits 10, 11 -> 0.0125 would pass min_lr, so 0.02; cooldown 12; waits 13, 14: already
  // at min_lr, no reduction.
  assert.deepEqual(plateau.reductions, [4, 8, 11]);
  const expected = [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02];
  result.history.forEach((h, i) =>
    assert.ok(Math.abs(h.lr - expected[i]) < 1e-12, `epoch ${i + 1}: ${h.lr}`)
  );
});

Deno.test("ReduceLROnPlateau keeps its reductions across a resumed run and names a bad saved field", async () => {
  // Only the rate factor and base rate of the context matter to this callback.
  const fakeContext = () => {
    const ctx = { baseLr: 0.1, lrFactor: 1, setLrFactor: (f: number) => void (ctx.lrFactor = f) };
    return ctx as typeof ctx & TrainContext;
  };
  const plateau = reduceLrOnPlateau({ monitor: "val_f1", factor: 0.5, patience: 1 });
  const ctx = fakeContext();
  plateau.onTrainBegin!(ctx);
  await plateau.onEpochEnd!(1, { epoch: 1, loss: 1, accuracy: 0, seconds: 0, lr: 0.1, val_f1: 0.5 }, ctx);
  await plateau.onEpochEnd!(2, { epoch: 2, loss: 1, accuracy: 0, seconds: 0, lr: 0.1, val_f1: 0.4 }, ctx);
  assert.equal(ctx.lrFactor, 0.5);
  const saved = plateau.getState!();
  const fresh = reduceLrOnPlateau({ monitor: "val_f1", factor: 0.5, patience: 1 });
  const ctx2 = fakeContext();
  fresh.onTrainBegin!(ctx2);
  fresh.setState!(structuredClone(saved));
  assert.equal(ctx2.lrFactor, 0.5);
  assert.deepEqual(fresh.reductions, [2]);
  assert.throws(
    () => fresh.setState!({ ...(saved as object), factor: 2 }),
    (e) =>
      e instanceof MmmlError && e.code === "artifact_corrupt" &&
      /callbacks\.reduce_on_plateau\.factor/.test(e.message),
  );
  assert.throws(() => reduceLrOnPlateau({ factor: 1 }), RangeError);
});
