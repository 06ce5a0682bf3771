/**
 * Does mmml's ResNet-18 training on wasm compute what torch computes? From the files
 * scripts/torch_parity.py writes (torchvision's initial weights, fixed batches, torch's results), this
 * loads the same weights into mmml's resnet18 and compares, on the first batch, the loss, every weight's
 * gradient and every batch norm's running statistics after the training-mode forward; then it trains the
 * same batches with mmml's tfjs engine (Adam, lr 1e-3, epsilon 1e-8) and prints both loss sequences.
 * Two correct implementations agree closely for a few steps, then drift apart as float rounding is
 * amplified (chaotically) by training: torch against itself on 1 and 2 threads differs by 2e-6 at the
 * third step and 5e-3 at the sixth. Last, from torch's trained state after those steps (weights, running
 * statistics, Adam's moments), one more step on both sides: its loss, gradients, running statistics and
 * updated weights, which checks what the first step cannot (Adam with history, non-initial statistics).
 *
 *   /usr/bin/python3 scripts/torch_parity.py .bench/fashion/train /tmp/parity 30
 *   deno run -A scripts/torch_parity.ts /tmp/parity
 */
import * as tf from "@tensorflow/tfjs";
import { ModelConfig } from "../src/config/schema.ts";
import { useBackend } from "../src/backend/choose.ts";
import { buildModel } from "../src/models/architectures.ts";
import type { MmmlModel } from "../src/models/model.ts";
import { loadPretrained, parsePretrained } from "../src/models/pretrained.ts";
import { createTfjsEngine, trainingLogProbs } from "../src/training/engines/tfjs_engine.ts";

const dir = Deno.args[0] ?? "/tmp/parity";
const ref = JSON.parse(await Deno.readTextFile(`${dir}/torch.json`)) as {
  steps: number;
  first: { loss: number; grads: Record<string, number[]>; stats: Record<string, number[]> };
  losses: number[];
  later: { step: number; loss: number };
};
const x = new Float32Array((await Deno.readFile(`${dir}/x.bin`)).buffer);
const y = new Int32Array((await Deno.readFile(`${dir}/y.bin`)).buffer);
const PER = 28 * 28 * 3, BATCH = 32;

/** Largest |a - b| over the largest |b|. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / Math.max(scale, 1e-12);
}

/** The float32 arrays of an MMMLW1 file, by weight name. */
async function readWeights(path: string): Promise<Map<string, Float32Array>> {
  const { header, data } = parsePretrained(await Deno.readFile(path), path);
  return new Map(header.weights.map((w) => [
    w.name,
    new Float32Array(data.buffer, data.byteOffset + w.offset, tf.util.sizeFromShape(w.shape)),
  ]));
}

async function freshModel(file = "init.mmmlw"): Promise<MmmlModel> {
  const model = buildModel(ModelConfig.parse({ arch: "resnet18", dropout: 0 }), {
    inputShape: [28, 28, 3],
    numClasses: 10,
    seed: 1,
  });
  await loadPretrained(model, `${dir}/${file}`);
  return model;
}

const weightName = (layer: tf.layers.Layer, w: tf.LayerVariable) =>
  `${layer.name}/${w.originalName.split("/").at(-1)}`;

/** Batch s of the fixed batches. */
const batchAt = (s: number) => ({
  x: x.slice(s * BATCH * PER, (s + 1) * BATCH * PER),
  y: y.slice(s * BATCH, (s + 1) * BATCH),
  size: BATCH,
});

const adamEngine = (model: MmmlModel) =>
  createTfjsEngine(model, {
    optimizer: { name: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, momentum: 0.9 },
  });

/**
 * One training-mode forward and backward of the tfjs engine's loss on batch s: the loss, the worst
 * gradient against torch's and the worst running statistic (updated by the forward) against torch's.
 */
function checkStep(
  model: MmmlModel,
  s: number,
  torchGrad: (name: string) => ArrayLike<number>,
  torchStat: (name: string) => ArrayLike<number>,
) {
  const batch = batchAt(s);
  const logProbs = trainingLogProbs(model);
  const xs = tf.tensor(batch.x, [BATCH, 28, 28, 3]);
  const target = tf.div(tf.oneHot(tf.tensor1d(batch.y, "int32"), 10), BATCH);
  const named = model.net.layers.flatMap((l) =>
    l.trainableWeights.map((w) => [w.read() as tf.Variable, weightName(l, w)] as const)
  );
  const { value, grads } = tf.variableGrads(
    () => tf.neg(tf.sum(tf.mul(target, logProbs(xs)))) as tf.Scalar,
    named.map(([v]) => v),
  );
  const gradError = Math.max(
    ...named.map(([v, name]) => relative(grads[v.name].dataSync(), torchGrad(name))),
  );
  const statError = Math.max(
    ...model.net.layers.flatMap((l) =>
      l.nonTrainableWeights.map((w) => relative(w.read().dataSync(), torchStat(weightName(l, w))))
    ),
  );
  const loss = value.dataSync()[0];
  tf.dispose([xs, target, value, ...Object.values(grads)]);
  return { loss, gradError, statError };
}

await useBackend("wasm");
const initial = await freshModel();
const first = checkStep(initial, 0, (n) => ref.first.grads[n], (n) => ref.first.stats[n]);
initial.net.dispose();

const trained = await freshModel();
const engine = adamEngine(trained);
const losses: number[] = [];
for (let s = 0; s < ref.steps; s++) losses.push((await engine.step(batchAt(s), null, s)).loss);
engine.dispose();
trained.net.dispose();

// One step from torch's trained state: gradients and statistics on one copy, the Adam update on another.
const s = ref.steps;
const [torchGrads, torchAfter, adamM, adamV] = await Promise.all(
  ["grads", "after", "adam_m", "adam_v"].map((f) => readWeights(`${dir}/${f}.mmmlw`)),
);
const stateModel = await freshModel("state.mmmlw");
const later = checkStep(stateModel, s, (n) => torchGrads.get(n)!, (n) => torchAfter.get(n)!);
stateModel.net.dispose();

const stepModel = await freshModel("state.mmmlw");
const stepEngine = adamEngine(stepModel);
const order = stepModel.net.layers.flatMap((l) => l.trainableWeights.map((w) => weightName(l, w)));
await stepEngine.setOptimizerState({
  name: "adam",
  step: s,
  slots: [...order.map((n) => adamM.get(n)!.slice()), ...order.map((n) => adamV.get(n)!.slice())],
});
const before = new Map(
  stepModel.net.layers.flatMap((l) =>
    l.trainableWeights.map((w) => [weightName(l, w), w.read().dataSync().slice()])
  ),
);
await stepEngine.step(batchAt(s), null, s);
// The update (after - before) on each side, compared relative to the largest torch update of the weight.
let updateError = 0;
for (const l of stepModel.net.layers) {
  for (const w of l.trainableWeights) {
    const name = weightName(l, w);
    const [ours, theirs, start] = [w.read().dataSync(), torchAfter.get(name)!, before.get(name)!];
    updateError = Math.max(
      updateError,
      relative(ours.map((v, i) => v - start[i]), theirs.map((v, i) => v - start[i])),
    );
  }
}
stepEngine.dispose();
stepModel.net.dispose();
console.log(JSON.stringify(
  {
    first_batch: {
      loss: { mmml: first.loss, torch: ref.first.loss },
      worst_gradient_relative_error: first.gradError,
      worst_running_statistic_relative_error: first.statError,
    },
    losses: { mmml: losses.map((l) => +l.toFixed(5)), torch: ref.losses.map((l) => +l.toFixed(5)) },
    [`step_${ref.later.step}_from_torch_state`]: {
      loss: { mmml: later.loss, torch: ref.later.loss },
      worst_gradient_relative_error: later.gradError,
      worst_running_statistic_relative_error: later.statError,
      worst_adam_update_relative_error: updateError,
    },
  },
  null,
  2,
));
Deno.exit(0);
