import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../backend/choose.ts";
import { MlpConfig, TrainingConfig } from "../../config/schema.ts";
import { HEAD_LAYER, wrapLayersModel } from "../../models/mlp.ts";
import { createFusedEngine, fusedEngineVerdict } from "./fused_engine.ts";

/** A classifier head on features, as the embedding cache trains it: dropout, then a softmax dense layer. */
function head(rate: number) {
  const net = tf.sequential();
  net.add(tf.layers.dropout({ rate, inputShape: [6], name: "dropout" }));
  net.add(
    tf.layers.dense({
      units: 3,
      activation: "softmax",
      name: HEAD_LAYER,
      kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
    }),
  );
  return wrapLayersModel(net, MlpConfig.parse({ arch: "mlp", hidden: [] }), {
    inputShape: [6],
    numClasses: 3,
    seed: 5,
  });
}

const optimizer = TrainingConfig.parse({}).optimizer;
const batch = {
  x: Float32Array.from({ length: 48 }, (_, i) => Math.cos(i * 0.7)),
  y: Int32Array.from({ length: 8 }, (_, i) => i % 3),
  size: 8,
};

async function trainHead(rate: number, seeds: number[]): Promise<{ losses: number[]; kernel: Float32Array }> {
  const model = head(rate);
  const engine = await createFusedEngine(model, { optimizer, seed: 1, maxBatch: 8 });
  const losses: number[] = [];
  for (const seed of seeds) losses.push((await engine.step(batch, null, seed)).loss);
  engine.sync();
  const kernel = model.net.getLayer(HEAD_LAYER).getWeights()[0].dataSync().slice() as Float32Array;
  engine.dispose();
  model.net.dispose();
  return { losses, kernel };
}

Deno.test("the fused engine trains a head with dropout on its inputs: seeded masks, falling loss, no input kept unscaled", async () => {
  await useBackend("wasm");
  assert.equal(fusedEngineVerdict(head(0.2), { backend: "wasm", optimizer }), true);
  const seeds = Array.from({ length: 60 }, (_, i) => 100 + i);
  const a = await trainHead(0.2, seeds);
  const b = await trainHead(0.2, seeds);
  assert.deepEqual(a.kernel, b.kernel, "the same step seeds draw the same masks");
  const c = await trainHead(0.2, seeds.map((s) => s + 1000));
  assert.notDeepEqual(a.kernel, c.kernel, "other seeds, other masks");
  const plain = await trainHead(0, seeds);
  assert.notDeepEqual(a.kernel, plain.kernel, "dropout changes the updates");
  assert.ok(a.losses.at(-1)! < a.losses[0], `loss falls: ${a.losses[0]} -> ${a.losses.at(-1)}`);
});
