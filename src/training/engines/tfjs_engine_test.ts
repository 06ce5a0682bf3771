import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MlpConfig, TrainingConfig } from "../../config/schema.ts";
import { useBackend } from "../../backend/choose.ts";
import { buildMlp } from "../../models/mlp.ts";
import { createTfjsEngine } from "./tfjs_engine.ts";

await useBackend("wasm");

const sgd = TrainingConfig.parse({ optimizer: { name: "sgd", lr: 1, momentum: 0 } }).optimizer;

/** A lone softmax layer on two features whose logits are the bias: class 0 at `gap`, class 1 at 0. */
function confidentModel(gap: number) {
  const model = buildMlp(MlpConfig.parse({ arch: "mlp", hidden: [], dropout: 0 }), {
    inputShape: [2],
    numClasses: 2,
    seed: 1,
  });
  model.net.layers.at(-1)!.setWeights([tf.zeros([2, 2]), tf.tensor1d([gap, 0])]);
  return model;
}

Deno.test("tfjs engine learns from a row whose true class has p < 1e-7, as torch's cross-entropy does", async () => {
  // p(class 1) = 1 / (1 + e^40) ~ 4e-18: cross-entropy on clipped probabilities would report
  // -log(1e-7) = 16.1 and pass no gradient; on the logits the loss is 40 and d loss / d z = p - t.
  const model = confidentModel(40);
  const engine = createTfjsEngine(model, { optimizer: sgd });
  const before = tf.memory().numTensors;
  const result = await engine.step({ x: new Float32Array([0, 0]), y: new Int32Array([1]), size: 1 }, null, 7);
  assert.ok(Math.abs(result.loss - 40) < 1e-4, `loss ${result.loss}`);
  assert.equal(result.correct, 0);
  const bias = await model.net.layers.at(-1)!.getWeights()[1].data();
  assert.ok(
    Math.abs(bias[0] - 39) < 1e-5 && Math.abs(bias[1] - 1) < 1e-5,
    `bias after one SGD step: ${bias}`,
  );
  assert.equal(tf.memory().numTensors, before);
  engine.dispose();
  model.net.dispose();
});

Deno.test("tfjs engine weighs rows by sample weight over their sum, with the gradient p - t per row", async () => {
  // Logits [2, 0]: p = [s, 1 - s] with s = sigmoid(2). Rows: class 0 (weight 3) and class 1 (weight 1).
  const model = confidentModel(2);
  const engine = createTfjsEngine(model, { optimizer: sgd });
  const s = 1 / (1 + Math.exp(-2));
  const result = await engine.step(
    { x: new Float32Array([0, 0, 0, 0]), y: new Int32Array([0, 1]), size: 2 },
    new Float32Array([3, 1]),
    7,
  );
  const expectedLoss = (3 * -Math.log(s) + 1 * -Math.log(1 - s)) / 4;
  assert.ok(Math.abs(result.loss - expectedLoss) < 1e-6, `loss ${result.loss}, expected ${expectedLoss}`);
  assert.equal(result.correct, 1);
  // d loss / d bias_0 = (3 (s - 1) + 1 s) / 4; bias_1 gets the negative.
  const grad0 = (3 * (s - 1) + s) / 4;
  const bias = await model.net.layers.at(-1)!.getWeights()[1].data();
  assert.ok(Math.abs(bias[0] - (2 - grad0)) < 1e-6, `bias[0] ${bias[0]}, expected ${2 - grad0}`);
  assert.ok(Math.abs(bias[1] - grad0) < 1e-6, `bias[1] ${bias[1]}, expected ${grad0}`);
  engine.dispose();
  model.net.dispose();
});
