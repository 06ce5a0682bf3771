import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ARCH_NAMES, ModelConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { buildModel } from "../models/architectures.ts";
import { HEAD_LAYER } from "../models/mlp.ts";
import { createRng } from "../random.ts";
import { onnxParity } from "../../testing/onnx_parity.ts";
import { randomTensor } from "../../testing/onnx_test_models.ts";

// wasm: the ResNet-50s run several times faster than on the cpu backend, which keeps this file short.
await useBackend("wasm");

const TOL = 1e-4;
const BATCH = 4;
const CLASSES = 10;
/**
 * Input sizes: 32 px for the small stem, 64 for the ImageNet stem (which divides by 32, so the last
 * stage still sees 2x2 maps and its batch statistics come from more than one value per image).
 */
const SIZE = { small: 32, imagenet: 64 } as const;

/** Replaces a layer's weights with `f(name, current values)`. */
function mapWeights(layer: tf.layers.Layer, f: (name: string, values: Float32Array) => Float32Array): void {
  const next = layer.getWeights().map((w, i) =>
    tf.tensor(f(layer.weights[i].originalName, w.dataSync() as Float32Array), w.shape)
  );
  layer.setWeights(next);
  tf.dispose(next);
}

/**
 * Gives `net` batch-norm layers as a trained network has them, so parity is checked on a function that
 * depends on its input rather than on a freshly built one (moving mean 0, variance 1, every output
 * equal) or on random statistics (which either drown the signal or blow it up through 50 layers):
 *
 * 1. gamma and beta random; a branch's last batch norm before a residual add gets a small gamma, as
 *    in trained ResNets, so the residual sum does not grow layer after layer;
 * 2. one training-mode pass over `x` moves every moving average a step towards that batch's
 *    statistics; the step is undone to recover the statistics themselves, which become the moving
 *    mean and variance (variance floored at half the layer's median: a channel that happens to be
 *    nearly constant on a small batch would otherwise amplify rounding noise a hundredfold);
 * 3. the head is rescaled so the logits on `x` spread with a standard deviation of 1.5: saturated
 *    probabilities would hide any difference.
 */
function calibrate(net: tf.LayersModel, x: tf.Tensor, seed: number): void {
  const rng = createRng(seed);
  const norms = net.layers.filter((l) => l.getClassName() === "BatchNormalization");
  const intoAdd = new Set(
    net.layers.filter((l) => l.getClassName() === "Add")
      .flatMap((l) => l.inboundNodes.flatMap((n) => n.inboundLayers.map((from) => from.name))),
  );
  for (const layer of norms) {
    mapWeights(layer, (name, v) => {
      if (name.endsWith("gamma")) {
        return v.map(() => intoAdd.has(layer.name) ? 0.2 + 0.3 * rng.next() : 0.8 + 0.4 * rng.next());
      }
      return name.endsWith("beta") ? v.map(() => 0.1 * rng.normal()) : v;
    });
  }
  const before = norms.map((l) => l.getWeights().map((w) => w.dataSync().slice()));
  const features = tf.model({
    inputs: net.inputs,
    outputs: net.getLayer("avgpool").output as tf.SymbolicTensor,
  });
  tf.tidy(() => {
    features.apply(x, { training: true });
  });
  norms.forEach((layer, i) => {
    const momentum = layer.getConfig().momentum as number;
    const names = layer.weights.map((w) => w.originalName);
    const batch = layer.getWeights().map((w, j) =>
      Float32Array.from(w.dataSync(), (after, k) => (after - momentum * before[i][j][k]) / (1 - momentum))
    );
    const variance = batch[names.findIndex((n) => n.endsWith("moving_variance"))];
    const floor = 0.5 * Float32Array.from(variance).sort()[variance.length >> 1];
    mapWeights(layer, (name, v) => {
      const j = names.indexOf(name);
      if (name.endsWith("moving_mean")) return batch[j];
      return name.endsWith("moving_variance") ? batch[j].map((b) => Math.max(b, floor)) : v;
    });
  });
  const head = net.getLayer(HEAD_LAYER);
  const spread = tf.tidy(() => {
    const logits = tf.matMul(features.predict(x) as tf.Tensor2D, head.getWeights()[0] as tf.Tensor2D);
    return tf.moments(logits).variance.sqrt().dataSync()[0];
  });
  mapWeights(head, (name, v) => name.endsWith("kernel") ? v.map((w) => w * 1.5 / spread) : v);
}

/** Largest difference, over classes, between the most and least probable image of the batch. */
function inputDependence(probs: Float32Array): number {
  let most = 0;
  for (let c = 0; c < CLASSES; c++) {
    const column = Array.from({ length: BATCH }, (_, i) => probs[i * CLASSES + c]);
    most = Math.max(most, Math.max(...column) - Math.min(...column));
  }
  return most;
}

// Every vision architecture: all but the MLP.
const ARCHS = ARCH_NAMES.filter((a) => a !== "mlp");

for (const arch of ARCHS) {
  Deno.test(`${arch} exports to ONNX matching tfjs within 1e-4, small and ImageNet stems`, async (t) => {
    for (const stem of ["small", "imagenet"] as const) {
      await t.step(`${stem} stem, ${SIZE[stem]}x${SIZE[stem]}`, async () => {
        const before = tf.memory().numTensors;
        const size = SIZE[stem];
        const model = buildModel(ModelConfig.parse({ arch, stem }), {
          inputShape: [size, size, 3],
          numClasses: CLASSES,
          seed: 1,
        });
        const x = randomTensor([BATCH, size, size, 3], 7);
        try {
          calibrate(model.net, x, 5);
          const r = await onnxParity(model.net, x);
          assert.deepEqual(r.shape, [BATCH, CLASSES]);
          assert.ok(r.maxAbsDiff < TOL, `max abs diff ${r.maxAbsDiff}`);
          // The check means something only if the output is neither saturated nor input-independent.
          assert.ok(Math.max(...r.tfjs) < 0.99, `saturated: max probability ${Math.max(...r.tfjs)}`);
          assert.ok(inputDependence(r.tfjs) > 0.05, `input-independent: ${inputDependence(r.tfjs)}`);
        } finally {
          x.dispose();
          model.net.dispose();
        }
        assert.equal(tf.memory().numTensors, before);
      });
    }
  });
}
