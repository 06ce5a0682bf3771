import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../backend/choose.ts";
import { reseedLayers, seededLayers } from "./seeded_layers.ts";

await useBackend("wasm");

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
