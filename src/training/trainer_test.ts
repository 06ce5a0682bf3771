import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MlpConfig, TrainingConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { createMemoryLogger } from "../log.ts";
import { buildMlp } from "../models/mlp.ts";
import type { Callback, EpochLog } from "./callbacks/callback.ts";
import { blobSources } from "../../testing/blobs.ts";
import type { FitOptions } from "./fit_options.ts";
import { createTrainer } from "./trainer.ts";

await useBackend("wasm");

const adam = TrainingConfig.parse({ optimizer: { lr: 0.01 } }).optimizer;
const sgd = TrainingConfig.parse({ optimizer: { name: "sgd", lr: 0.05, momentum: 0.5 } }).optimizer;
const data = blobSources({ train: 240, val: 90, features: 6, classes: 3, separation: 1.5 });
const mlp = (over: Partial<MlpConfig> = {}, seed = 3) =>
  buildMlp(MlpConfig.parse({ arch: "mlp", hidden: [16, 8], dropout: 0.1, ...over }), {
    inputShape: [6],
    numClasses: 3,
    seed,
  });
const options = (over: Partial<FitOptions> = {}): FitOptions => ({
  epochs: 6,
  batchSize: 32,
  optimizer: adam,
  seed: 11,
  engine: "tfjs",
  ...over,
});
// Everything but wall time, which differs run to run.
const figures = (history: EpochLog[]) => history.map(({ seconds: _, ...rest }) => rest);

for (const engine of ["tfjs", "fused"] as const) {
  Deno.test(`Trainer (${engine} engine) learns separable blobs to high validation accuracy`, async () => {
    const model = mlp();
    const result = await createTrainer({ logger: createMemoryLogger() }).fit(
      model,
      data.train,
      data.val,
      options({ engine }),
    );
    assert.equal(result.engine, engine);
    assert.equal(result.history.length, 6);
    const last = result.history[5];
    assert.ok(last.val_accuracy > 0.9, `val_accuracy ${last.val_accuracy}`);
    assert.ok(last.accuracy > 0.85, `accuracy ${last.accuracy}`);
    assert.ok(last.loss < result.history[0].loss, "the training loss falls");
    assert.ok(result.trainSeconds > 0);
    assert.ok(Math.abs(result.samplesPerSecond - (240 * 6) / result.trainSeconds) < 1e-6);
    assert.equal(result.stoppedEarly, false);
    // The tfjs model holds the trained weights (the fused engine copies them back).
    const probs = model.predict(tf.tensor2d(await rows(data.val), [90, 6]));
    const predicted = probs.argMax(1).arraySync() as number[];
    probs.dispose();
    const labels = data.val.labels();
    assert.equal(predicted.filter((p, i) => p === labels[i]).length / 90, last.val_accuracy);
    model.net.dispose();
  });

  Deno.test(`Trainer (${engine} engine) repeats its history exactly for the same seed`, async () => {
    const run = async (seed: number) => {
      const model = mlp({ dropout: 0.3 });
      const { history } = await createTrainer({ logger: createMemoryLogger() }).fit(
        model,
        data.train,
        data.val,
        options({ engine, epochs: 3, seed }),
      );
      model.net.dispose();
      return figures(history);
    };
    const first = await run(5);
    assert.deepEqual(await run(5), first);
    assert.notDeepEqual(await run(6), first);
  });
}

async function rows(source: typeof data.val): Promise<Float32Array> {
  const out: number[] = [];
  for await (const b of source.batches({ batchSize: 1000, shuffle: false, seed: 0 })) out.push(...b.x);
  return Float32Array.from(out);
}

Deno.test("the tfjs and fused engines agree on the same model, data and seed", async () => {
  const run = async (engine: "tfjs" | "fused") => {
    const model = mlp({ dropout: 0 });
    const { history } = await createTrainer({ logger: createMemoryLogger() }).fit(
      model,
      data.train,
      data.val,
      options({ engine, epochs: 2, optimizer: sgd }),
    );
    model.net.dispose();
    return history;
  };
  const [a, b] = [await run("tfjs"), await run("fused")];
  for (let i = 0; i < 2; i++) {
    for (const key of ["loss", "val_loss", "val_accuracy"]) {
      assert.ok(
        Math.abs(a[i][key] - b[i][key]) < 1e-3,
        `epoch ${i + 1} ${key}: ${a[i][key]} vs ${b[i][key]}`,
      );
    }
  }
});

Deno.test("Trainer's auto engine picks fused for a plain MLP and tfjs for batch norm or a GPU backend", async () => {
  const trainer = createTrainer({ logger: createMemoryLogger() });
  const fit = async (model: ReturnType<typeof mlp>, backend?: string) => {
    const result = await trainer.fit(
      model,
      data.train,
      null,
      options({ engine: "auto", epochs: 1, backend }),
    );
    model.net.dispose();
    return result;
  };
  assert.equal((await fit(mlp())).engine, "fused");
  const bn = await fit(mlp({ batch_norm: true }));
  assert.equal(bn.engine, "tfjs");
  assert.match(bn.engineReason, /BatchNormalization/);
  assert.equal((await fit(mlp(), "webgpu")).engine, "tfjs");
  await assert.rejects(
    trainer.fit(mlp({ batch_norm: true }), data.train, null, options({ engine: "fused" })),
    (e: unknown) => e instanceof MmmlError && e.code === "unsupported" && /bn_0/.test(e.message),
  );
});

Deno.test("class weights change training on an imbalanced set toward the minority class", async () => {
  const skewed = blobSources({
    train: 300,
    val: 300,
    features: 4,
    classes: 2,
    separation: 0.6,
    shares: [0.9, 0.1],
  });
  const minorityPredictions = async (classWeights: Float32Array | null) => {
    const model = buildMlp(MlpConfig.parse({ arch: "mlp", hidden: [8], dropout: 0 }), {
      inputShape: [4],
      numClasses: 2,
      seed: 1,
    });
    let predicted = 0;
    const valMetrics = (probs: Float32Array) => {
      predicted = 0;
      for (let i = 0; i < probs.length; i += 2) if (probs[i + 1] > probs[i]) predicted++;
      return { predicted_minority: predicted };
    };
    const result = await createTrainer({ logger: createMemoryLogger() }).fit(
      model,
      skewed.train,
      skewed.val,
      options({ epochs: 5, classWeights, valMetrics }),
    );
    model.net.dispose();
    assert.equal(result.history[4].val_predicted_minority, predicted);
    return predicted;
  };
  const plain = await minorityPredictions(null);
  const weighted = await minorityPredictions(Float32Array.of(1 / 1.8, 1 / 0.2));
  assert.ok(weighted > plain + 20, `minority predictions: ${plain} unweighted, ${weighted} weighted`);
});

for (const engine of ["tfjs", "fused"] as const) {
  Deno.test(`Trainer (${engine} engine) leaves no tensors behind after fits with validation`, async () => {
    const model = mlp({ batch_norm: engine === "tfjs" });
    const trainer = createTrainer({ logger: createMemoryLogger() });
    const before = tf.memory().numTensors;
    await trainer.fit(model, data.train, data.val, options({ engine, epochs: 2 }));
    assert.equal(tf.memory().numTensors, before);
    await trainer.fit(model, data.train, data.val, options({ engine, epochs: 1 }));
    assert.equal(tf.memory().numTensors, before);
    model.net.dispose();
  });
}

Deno.test("Trainer calls hooks in Keras order and stops mid-epoch when a callback asks", async () => {
  const calls: string[] = [];
  const callback: Callback = {
    onTrainBegin: (ctx) => void calls.push(`trainBegin steps=${ctx.stepsPerEpoch}`),
    onEpochBegin: (epoch) => void calls.push(`epochBegin ${epoch}`),
    onBatchEnd: (batch, logs, ctx) => {
      calls.push(`batch ${batch} size=${logs.size}`);
      if (ctx.history.length === 1 && batch === 2) ctx.requestStop("enough");
    },
    onEpochEnd: (epoch, logs) => void calls.push(`epochEnd ${epoch} val=${"val_loss" in logs}`),
    onTrainEnd: (ctx) => void calls.push(`trainEnd ${ctx.history.length}`),
  };
  const model = mlp();
  const result = await createTrainer({ logger: createMemoryLogger() }).fit(
    model,
    data.train,
    data.val,
    options({ batchSize: 100, callbacks: [callback] }),
  );
  model.net.dispose();
  assert.deepEqual(calls, [
    "trainBegin steps=3",
    "epochBegin 1",
    "batch 0 size=100",
    "batch 1 size=100",
    "batch 2 size=40",
    "epochEnd 1 val=true",
    "epochBegin 2",
    "batch 0 size=100",
    "batch 1 size=100",
    "batch 2 size=40",
    "epochEnd 2 val=true",
    "trainEnd 2",
  ]);
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.stopReason, "enough");
});

Deno.test("Trainer.requestStop ends the fit after the current batch", async () => {
  const trainer = createTrainer({ logger: createMemoryLogger() });
  const model = mlp();
  const result = await trainer.fit(
    model,
    data.train,
    null,
    options({
      batchSize: 40,
      callbacks: [{ onBatchEnd: (batch) => batch === 1 ? trainer.requestStop() : undefined }],
    }),
  );
  model.net.dispose();
  assert.equal(result.history.length, 1);
  assert.ok(
    Math.abs(result.samplesPerSecond * result.trainSeconds - 80) < 1e-9,
    "80 samples seen (rate x time)",
  );
  assert.equal(result.stopReason, "stop requested");
});

Deno.test("Trainer picks bestEpoch by the monitored figure and adds val_ to extra metrics", async () => {
  const scores = [0.2, 0.9, 0.5];
  const model = mlp();
  const result = await createTrainer({ logger: createMemoryLogger() }).fit(
    model,
    data.train,
    data.val,
    options({
      epochs: 3,
      monitor: "val_score",
      mode: "max",
      valMetrics: (_p, y) => ({ score: scores.shift()!, rows: y.length }),
    }),
  );
  model.net.dispose();
  assert.equal(result.bestEpoch, 2);
  assert.deepEqual(result.history.map((h) => h.val_rows), [90, 90, 90]);
});

Deno.test("Trainer rejects data whose shape does not match the model, naming both", async () => {
  const model = mlp();
  const other = blobSources({ train: 10, val: 0, features: 5, classes: 3 });
  await assert.rejects(
    createTrainer({ logger: createMemoryLogger() }).fit(model, other.train, null, options()),
    (e: unknown) => e instanceof MmmlError && /expects input \[6\].*received input \[5\]/.test(e.message),
  );
  model.net.dispose();
});
