import assert from "node:assert/strict";
import { MlpConfig, TrainingConfig } from "../../config/schema.ts";
import { useBackend } from "../../backend/choose.ts";
import { MmmlError } from "../../errors.ts";
import { createMemoryLogger } from "../../log.ts";
import { buildMlp } from "../../models/mlp.ts";
import { getWeightsSnapshot, type WeightsSnapshot } from "../../models/model_io.ts";
import { blobSources } from "../../../testing/blobs.ts";
import { createTrainer } from "../trainer.ts";
import type { Callback, TrainEngineName } from "./callback.ts";
import { earlyStopping, type EarlyStoppingOptions } from "./early_stopping.ts";

await useBackend("wasm");
const data = blobSources({ train: 120, val: 30, features: 5, classes: 3 });

/** Fits with a scripted validation figure `val_f1` (maximised under mode auto), recording weights per epoch. */
async function fitScripted(f1: number[], stopping: EarlyStoppingOptions, engine: TrainEngineName = "fused") {
  const model = buildMlp(MlpConfig.parse({ arch: "mlp", hidden: [8] }), {
    inputShape: [5],
    numClasses: 3,
    seed: 2,
  });
  const perEpoch: WeightsSnapshot[] = [];
  const recorder: Callback = {
    onEpochEnd: async (_e, _l, ctx) => void perEpoch.push(await getWeightsSnapshot(ctx.model)),
  };
  const callback = earlyStopping({ monitor: "val_f1", ...stopping });
  const script = [...f1];
  try {
    const result = await createTrainer({ logger: createMemoryLogger() }).fit(model, data.train, data.val, {
      epochs: f1.length,
      batchSize: 16,
      optimizer: TrainingConfig.parse({ optimizer: { lr: 0.05 } }).optimizer,
      seed: 1,
      engine,
      valMetrics: () => ({ f1: script.shift()! }),
      callbacks: [recorder, callback],
    });
    return { result, callback, perEpoch, final: await getWeightsSnapshot(model) };
  } finally {
    model.net.dispose();
  }
}

for (const engine of ["fused", "tfjs"] as const) {
  Deno.test(`EarlyStopping stops after patience epochs and restores the best epoch's weights (${engine})`, async () => {
    const { result, callback, perEpoch, final } = await fitScripted([0.5, 0.8, 0.6, 0.7, 0.9, 0.9], {
      patience: 2,
    }, engine);
    assert.equal(result.history.length, 4);
    assert.equal(result.stoppedEarly, true);
    assert.match(result.stopReason ?? "", /val_f1 has not improved on 0.8 \(epoch 2\)/);
    assert.equal(callback.bestEpoch, 2);
    assert.equal(callback.stoppedEpoch, 4);
    assert.deepEqual(final, perEpoch[1]);
    assert.notDeepEqual(final, perEpoch[3]);
  });
}

Deno.test("EarlyStopping without restoreBest keeps the last epoch's weights", async () => {
  const { result, perEpoch, final } = await fitScripted([0.5, 0.8, 0.6, 0.7], {
    patience: 2,
    restoreBest: false,
  });
  assert.equal(result.history.length, 4);
  assert.deepEqual(final, perEpoch[3]);
});

Deno.test("EarlyStopping counts a gain below minDelta as no improvement", async () => {
  const { result, callback } = await fitScripted([0.5, 0.55, 0.58, 0.9], { patience: 2, minDelta: 0.1 });
  assert.equal(result.history.length, 3);
  assert.equal(callback.bestEpoch, 1);
});

Deno.test("EarlyStopping runs every epoch while the figure keeps improving", async () => {
  const { result, callback, perEpoch, final } = await fitScripted([0.1, 0.2, 0.3], { patience: 0 });
  assert.equal(result.stoppedEarly, false);
  assert.equal(callback.bestEpoch, 3);
  assert.deepEqual(final, perEpoch[2]);
});

Deno.test("EarlyStopping names its setting and the figures there are when the monitor is missing", async () => {
  await assert.rejects(
    fitScripted([0.5], { monitor: "val_auc" }),
    (e: unknown) =>
      e instanceof MmmlError && e.code === "config_invalid" &&
      /training\.early_stopping\.monitor: expected one of loss, accuracy, val_loss, val_accuracy, val_f1, received "val_auc"/
        .test(e.message),
  );
});
