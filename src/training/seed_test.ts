import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../backend/choose.ts";
import { deriveSeed, reseedLayers, seededLayers } from "./seed.ts";

await useBackend("wasm");

Deno.test("deriveSeed is stable and separates nearby inputs", () => {
  assert.equal(deriveSeed(42, 1, 2), deriveSeed(42, 1, 2));
  const seeds = new Set<number>();
  for (let epoch = 0; epoch < 50; epoch++) {
    for (let step = 0; step < 50; step++) seeds.add(deriveSeed(42, epoch, step));
  }
  assert.equal(seeds.size, 2500);
  assert.notEqual(deriveSeed(42, 1), deriveSeed(42, 1, 0));
  assert.notEqual(deriveSeed(42), deriveSeed(43));
});

Deno.test("reseedLayers makes dropout masks depend only on the seed", () => {
  const net = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [4], units: 64 }), tf.layers.dropout({ rate: 0.5 })],
  });
  const layers = seededLayers(net);
  assert.deepEqual(layers.map((l) => l.getClassName()), ["Dropout"]);
  const mask = (seed: number) =>
    tf.tidy(() => {
      reseedLayers(layers, seed);
      const out = net.apply(tf.ones([2, 4]), { training: true }) as tf.Tensor;
      return Array.from(out.dataSync(), (v) => v === 0);
    });
  const before = tf.memory().numTensors;
  assert.deepEqual(mask(1), mask(1));
  assert.notDeepEqual(mask(1), mask(2));
  assert.equal(tf.memory().numTensors, before);
  net.dispose();
});
