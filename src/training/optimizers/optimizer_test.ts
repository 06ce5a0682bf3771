import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { TrainingConfig } from "../../config/schema.ts";
import { useBackend } from "../../backend/choose.ts";
import { createOptimizer, denseOptimizer } from "./optimizer.ts";

await useBackend("wasm");
const optimizerConfig = (over: Record<string, unknown>) =>
  TrainingConfig.parse({ optimizer: over }).optimizer;

Deno.test("createOptimizer passes Adam's learning rate, betas and epsilon", () => {
  const opt = createOptimizer(optimizerConfig({ lr: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 }));
  assert.equal(opt.getClassName(), "Adam");
  assert.deepEqual(opt.getConfig(), { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 });
  opt.dispose();
});

Deno.test("createOptimizer maps sgd to momentum SGD, and to plain SGD without momentum", () => {
  const opt = createOptimizer(optimizerConfig({ name: "sgd", lr: 0.1, momentum: 0.5 }));
  assert.equal(opt.getClassName(), "Momentum");
  assert.equal(opt.getConfig().momentum, 0.5);
  assert.equal(opt.getConfig().learningRate, 0.1);
  const plain = createOptimizer(optimizerConfig({ name: "sgd", lr: 0.1, momentum: 0 }));
  assert.equal(plain.getClassName(), "SGD");
  opt.dispose();
  plain.dispose();
});

Deno.test("createOptimizer's SGD takes the step lr * gradient", () => {
  const v = tf.variable(tf.scalar(1));
  const opt = createOptimizer(optimizerConfig({ name: "sgd", lr: 0.1, momentum: 0 }));
  opt.minimize(() => tf.mul(v, 3) as tf.Scalar, false, [v]);
  assert.ok(Math.abs(v.dataSync()[0] - 0.7) < 1e-6);
  v.dispose();
  opt.dispose();
});

Deno.test("denseOptimizer describes the same optimizer for the fused engine", () => {
  assert.deepEqual(denseOptimizer(optimizerConfig({ lr: 0.002 })), {
    name: "adam",
    lr: 0.002,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
  });
  assert.deepEqual(denseOptimizer(optimizerConfig({ name: "sgd", momentum: 0.3 })), {
    name: "sgd",
    lr: 1e-3,
    momentum: 0.3,
  });
});
