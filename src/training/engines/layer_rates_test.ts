import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../backend/choose.ts";
import { MlpConfig, TrainingConfig } from "../../config/schema.ts";
import { buildMlp, HEAD_LAYER } from "../../models/mlp.ts";
import { createTfjsEngine } from "./tfjs_engine.ts";

function weights(net: tf.LayersModel): Map<string, Float32Array> {
  return new Map(
    net.layers.flatMap((l) =>
      l.getWeights().map((w, i) => [`${l.name}/${i}`, w.dataSync().slice() as Float32Array])
    ),
  );
}

for (const name of ["adam", "sgd"] as const) {
  Deno.test(`layer rates (${name}): a layer at x0.1 moves a tenth as far as without, the head as far, no tensors leak`, async () => {
    await useBackend("cpu");
    const spec = { inputShape: [5], numClasses: 3, seed: 3 };
    const config = MlpConfig.parse({ arch: "mlp", hidden: [4], dropout: 0 });
    const optimizer = TrainingConfig.parse({ optimizer: { name, lr: 0.01 } }).optimizer;
    const plain = buildMlp(config, spec);
    const scaled = buildMlp(config, spec);
    const start = weights(plain.net);
    const a = createTfjsEngine(plain, { optimizer });
    const b = createTfjsEngine(scaled, { optimizer, layerRates: (layer) => layer === HEAD_LAYER ? 1 : 0.1 });
    const batch = {
      x: Float32Array.from({ length: 20 }, (_, i) => Math.sin(i)),
      y: Int32Array.from([0, 1, 2, 1]),
      size: 4,
    };
    await a.step(batch, null, 1);
    await b.step(batch, null, 1);
    const [wa, wb] = [weights(plain.net), weights(scaled.net)];
    for (const [key, w0] of start) {
      const m = key.startsWith(`${HEAD_LAYER}/`) ? 1 : 0.1;
      const da = wa.get(key)!, db = wb.get(key)!;
      for (let i = 0; i < w0.length; i++) {
        const expected = w0[i] + m * (da[i] - w0[i]);
        assert.ok(
          Math.abs(db[i] - expected) <= 1e-7 + 1e-6 * Math.abs(expected),
          `${key}[${i}]: ${db[i]} vs ${expected}`,
        );
      }
    }
    const before = tf.memory().numTensors;
    await b.step(batch, null, 2);
    assert.equal(tf.memory().numTensors, before);
    a.dispose();
    b.dispose();
  });
}
