import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MlpConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { buildMlp } from "./mlp.ts";

await useBackend("wasm");
const mlp = (over: Partial<MlpConfig> = {}) => MlpConfig.parse({ arch: "mlp", ...over });

Deno.test("buildMlp counts parameters as computed by hand", () => {
  const model = buildMlp(mlp({ hidden: [128, 64] }), { inputShape: [73], numClasses: 7, seed: 1 });
  const expected = (73 * 128 + 128) + (128 * 64 + 64) + (64 * 7 + 7);
  assert.equal(model.paramCount(), expected);
  assert.equal(model.trainableParamCount(), expected);
  model.net.dispose();
});

Deno.test("buildMlp with batch norm drops the dense bias and adds gamma, beta and moving statistics", () => {
  const model = buildMlp(mlp({ hidden: [8], batch_norm: true, dropout: 0 }), {
    inputShape: [3],
    numClasses: 2,
  });
  // dense 3x8 (no bias), bn 4x8 (2x8 trainable), head 8x2+2
  assert.equal(model.paramCount(), 3 * 8 + 4 * 8 + 8 * 2 + 2);
  assert.equal(model.trainableParamCount(), 3 * 8 + 2 * 8 + 8 * 2 + 2);
  assert.deepEqual(model.net.layers.map((l) => l.name), ["dense_0", "bn_0", "act_0", "head"]);
  model.net.dispose();
});

Deno.test("buildMlp names layers dense_i, dropout_i and head", () => {
  const model = buildMlp(mlp({ hidden: [5, 4], dropout: 0.2 }), { inputShape: [3], numClasses: 3 });
  assert.deepEqual(model.net.layers.map((l) => l.name), [
    "dense_0",
    "dropout_0",
    "dense_1",
    "dropout_1",
    "head",
  ]);
  model.net.dispose();
});

Deno.test("freeze leaves only the head trainable and unfreeze restores every layer", () => {
  const model = buildMlp(mlp({ hidden: [6, 5] }), { inputShape: [4], numClasses: 3 });
  model.freeze();
  assert.equal(model.trainableParamCount(), 5 * 3 + 3);
  assert.equal(model.paramCount(), (4 * 6 + 6) + (6 * 5 + 5) + (5 * 3 + 3));
  model.unfreeze();
  assert.equal(model.trainableParamCount(), model.paramCount());
  model.net.dispose();
});

Deno.test("buildMlp gives the same weights for the same seed and different ones for another", () => {
  const weights = (seed: number) => {
    const model = buildMlp(mlp({ hidden: [16, 8] }), { inputShape: [10], numClasses: 3, seed });
    const values = model.net.getWeights().map((w) => Array.from(w.dataSync()));
    model.net.dispose();
    return values;
  };
  const a = weights(7);
  assert.deepEqual(weights(7), a);
  assert.notDeepEqual(weights(8), a);
  // kernels are not all the same value (each layer gets its own seed)
  assert.notDeepEqual(a[0].slice(0, 8), a[2].slice(0, 8));
});

Deno.test("MlpModel.predict returns probabilities and leaks no tensors", () => {
  const model = buildMlp(mlp({ hidden: [8], activation: "tanh" }), {
    inputShape: [3],
    numClasses: 4,
    seed: 3,
  });
  const x = tf.tensor2d([[0, 1, 2], [3, -1, 0.5]]);
  const before = tf.memory().numTensors;
  const probs = model.predict(x);
  assert.deepEqual(probs.shape, [2, 4]);
  const rows = probs.arraySync();
  for (const row of rows) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  probs.dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.net.dispose();
});

Deno.test("buildMlp rejects an image-shaped input, naming the shape received", () => {
  assert.throws(
    () => buildMlp(mlp(), { inputShape: [28, 28, 1], numClasses: 10 }),
    (e: unknown) => e instanceof MmmlError && /received \[28, 28, 1\]/.test(e.message),
  );
});

Deno.test("buildMlp rejects a config of another architecture", () => {
  assert.throws(
    () =>
      buildMlp({ arch: "resnet18", stem: "small", dropout: 0, freeze_backbone: false }, {
        inputShape: [4],
        numClasses: 2,
      }),
    (e: unknown) => e instanceof MmmlError && /received "resnet18"/.test(e.message),
  );
});
