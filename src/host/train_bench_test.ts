import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../backend/choose.ts";
import { benchTraining } from "./train_bench.ts";

Deno.test("benchTraining times ResNet training steps and leaves no tensors behind", async () => {
  await useBackend("wasm");
  const before = tf.memory().numTensors;
  const result = await benchTraining({
    backend: "wasm",
    arch: "resnet18",
    batch: 1,
    size: 32,
    steps: 2,
    warmup: 1,
    classes: 3,
  });
  assert.equal(result.backend, "wasm");
  assert.equal(result.model, "resnet18");
  assert.equal(result.steps, 2);
  assert.ok(result.images_per_s > 0 && Number.isFinite(result.images_per_s));
  assert.ok(Number.isFinite(result.loss_first) && Number.isFinite(result.loss_last));
  assert.equal(tf.memory().numTensors, before);
});
