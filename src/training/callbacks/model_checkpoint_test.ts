import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { MlpConfig, TrainingConfig } from "../../config/schema.ts";
import { useBackend } from "../../backend/choose.ts";
import { createMemoryLogger } from "../../log.ts";
import { buildMlp } from "../../models/mlp.ts";
import type { MmmlModel } from "../../models/model.ts";
import { loadModel } from "../../models/model_io.ts";
import { blobSources } from "../../../testing/blobs.ts";
import { createTrainer } from "../trainer.ts";
import type { Callback } from "./callback.ts";
import { modelCheckpoint } from "./model_checkpoint.ts";

await useBackend("wasm");
const data = blobSources({ train: 120, val: 30, features: 5, classes: 3 });
const probe = tf.tensor2d(Array.from({ length: 4 * 5 }, (_, i) => Math.cos(i)), [4, 5]);
const predictions = (model: MmmlModel) => tf.tidy(() => Array.from(model.predict(probe).dataSync()));

Deno.test("ModelCheckpoint writes loadable best and last checkpoints atomically", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_ckpt_" });
  try {
    const model = buildMlp(MlpConfig.parse({ arch: "mlp", hidden: [8] }), {
      inputShape: [5],
      numClasses: 3,
      seed: 2,
    });
    const perEpoch: number[][] = [];
    const recorder: Callback = { onEpochEnd: (_e, _l, ctx) => void perEpoch.push(predictions(ctx.model)) };
    const script = [0.4, 0.3, 0.6];
    const checkpoint = modelCheckpoint({ dir: join(dir, "checkpoints"), monitor: "val_error" });
    await createTrainer({ logger: createMemoryLogger() }).fit(model, data.train, data.val, {
      epochs: 3,
      batchSize: 16,
      optimizer: TrainingConfig.parse({}).optimizer,
      seed: 4,
      valMetrics: () => ({ error: script.shift()! }),
      callbacks: [recorder, checkpoint],
    });
    assert.equal(checkpoint.bestEpoch, 2); // "error" is minimised under mode auto
    const entries = [...Deno.readDirSync(join(dir, "checkpoints"))].map((e) => e.name).sort();
    assert.deepEqual(entries, ["best", "last"]); // no staging or retired folders left
    for (const [name, epoch] of [["best", 2], ["last", 3]] as const) {
      const info = JSON.parse(await Deno.readTextFile(join(dir, "checkpoints", name, "checkpoint.json")));
      assert.equal(info.logs.epoch, epoch);
      assert.equal(info.monitor, "val_error");
      const loaded = await loadModel(join(dir, "checkpoints", name));
      assert.deepEqual(predictions(loaded), perEpoch[epoch - 1]);
      loaded.net.dispose();
    }
    assert.notDeepEqual(perEpoch[1], perEpoch[2]);
    model.net.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ModelCheckpoint writes only what it is asked to", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_ckpt_" });
  try {
    const model = buildMlp(MlpConfig.parse({ arch: "mlp", hidden: [4] }), {
      inputShape: [5],
      numClasses: 3,
      seed: 1,
    });
    await createTrainer({ logger: createMemoryLogger() }).fit(model, data.train, null, {
      epochs: 1,
      batchSize: 32,
      optimizer: TrainingConfig.parse({}).optimizer,
      seed: 4,
      callbacks: [modelCheckpoint({ dir, monitor: "loss", saveBest: false })],
    });
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["last"]);
    model.net.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
