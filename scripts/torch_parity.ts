/**
 * Does mmml's ResNet-18 training on wasm compute what torch computes? From the files
 * scripts/torch_parity.py writes (torchvision's initial weights, fixed batches, torch's results), this
 * loads the same weights into mmml's resnet18 and compares, on the first batch, the loss, every weight's
 * gradient and every batch norm's running statistics after the training-mode forward; then it trains the
 * same batches with mmml's tfjs engine (Adam, lr 1e-3, epsilon 1e-8) and prints both loss sequences.
 * Two correct implementations agree closely for a few steps, then drift apart as float rounding is
 * amplified (chaotically) by training.
 *
 *   /usr/bin/python3 scripts/torch_parity.py .bench/fashion/train /tmp/parity 30
 *   deno run -A scripts/torch_parity.ts /tmp/parity
 */
import * as tf from "@tensorflow/tfjs";
import { ModelConfig } from "../src/config/schema.ts";
import { useBackend } from "../src/engine/backend.ts";
import { buildModel } from "../src/models/architectures.ts";
import type { MmmlModel } from "../src/models/model.ts";
import { loadPretrained } from "../src/models/pretrained.ts";
import { createTfjsEngine } from "../src/training/tfjs_engine.ts";

const dir = Deno.args[0] ?? "/tmp/parity";
const ref = JSON.parse(await Deno.readTextFile(`${dir}/torch.json`)) as {
  steps: number;
  first: { loss: number; grads: Record<string, number[]>; stats: Record<string, number[]> };
  losses: number[];
};
const x = new Float32Array((await Deno.readFile(`${dir}/x.bin`)).buffer);
const y = new Int32Array((await Deno.readFile(`${dir}/y.bin`)).buffer);
const PER = 28 * 28 * 3, BATCH = 32;

/** Largest |a - b| over the largest |b|. */
function relative(a: ArrayLike<number>, b: number[]): number {
  let err = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / Math.max(scale, 1e-12);
}

async function freshModel(): Promise<MmmlModel> {
  const model = buildModel(ModelConfig.parse({ arch: "resnet18", dropout: 0 }), {
    inputShape: [28, 28, 3],
    numClasses: 10,
    seed: 1,
  });
  await loadPretrained(model, `${dir}/init.mmmlw`);
  return model;
}

const weightName = (layer: tf.layers.Layer, w: tf.LayerVariable) =>
  `${layer.name}/${w.originalName.split("/").at(-1)}`;

await useBackend("wasm");
const model = await freshModel();
const xs = tf.tensor(x.slice(0, BATCH * PER), [BATCH, 28, 28, 3]);
const target = tf.div(tf.oneHot(tf.tensor1d(y.slice(0, BATCH), "int32"), 10), BATCH);
const vars = model.net.trainableWeights.map((w) => w.read() as tf.Variable);
const names = model.net.layers.flatMap((l) => l.trainableWeights.map((w) => weightName(l, w)));
const { value, grads } = tf.variableGrads(() => {
  const p = model.net.apply(xs, { training: true }) as tf.Tensor;
  return tf.neg(tf.sum(tf.mul(target, tf.log(tf.clipByValue(p, 1e-7, 1 - 1e-7))))) as tf.Scalar;
}, vars);
const gradError = Math.max(
  ...vars.map((v, i) => relative(grads[v.name].dataSync(), ref.first.grads[names[i]])),
);
const statNames = model.net.layers.flatMap((l) =>
  l.nonTrainableWeights.map((w) => [l, w, weightName(l, w)] as const)
);
const statError = Math.max(
  ...statNames.map(([, w, name]) => relative(w.read().dataSync(), ref.first.stats[name])),
);
const loss = value.dataSync()[0];
tf.dispose([xs, target, value, ...Object.values(grads)]);
model.net.dispose();

const trained = await freshModel();
const engine = createTfjsEngine(trained, {
  optimizer: { name: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, momentum: 0.9 },
});
const losses: number[] = [];
for (let s = 0; s < ref.steps; s++) {
  const batch = {
    x: x.slice(s * BATCH * PER, (s + 1) * BATCH * PER),
    y: y.slice(s * BATCH, (s + 1) * BATCH),
    size: BATCH,
  };
  losses.push((await engine.step(batch, null, s)).loss);
}
engine.dispose();
console.log(JSON.stringify(
  {
    first_batch: {
      loss: { mmml: loss, torch: ref.first.loss },
      worst_gradient_relative_error: gradError,
      worst_running_statistic_relative_error: statError,
    },
    losses: { mmml: losses.map((l) => +l.toFixed(5)), torch: ref.losses.map((l) => +l.toFixed(5)) },
  },
  null,
  2,
));
Deno.exit(0);
