import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { TrainingConfig } from "../../config/schema.ts";
import { useBackend } from "../../backend/choose.ts";
import { FusedAdam, FusedMomentum } from "./fused_optimizer.ts";
import type { OptimizerConfig } from "../../config/schema.ts";
import { readTfjsOptimizerState, restoreTfjsOptimizerState } from "../trainer_state.ts";

await useBackend("wasm");

// Sizes with and without a tail past the last multiple of 4, a scalar and a conv filter.
const SHAPES = [[3, 5], [8], [1], [3, 3, 2, 4], [7]];
const ADAM = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const MOMENTUM = { learningRate: 0.05, momentum: 0.8 };

/** Seeded weights of SHAPES, each owning its buffer. */
function weights(seed: number): tf.Variable[] {
  return SHAPES.map((shape, i) =>
    tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 1, "float32", seed + i)))
  );
}

/** A loss whose gradients differ every step and between weights (so moments grow unevenly). */
function step(opt: tf.Optimizer, vars: tf.Variable[], k: number): void {
  tf.tidy(() => {
    opt.minimize(
      () => {
        const terms = vars.map((v, i) => tf.sum(tf.mul(tf.sin(tf.mul(v, k + i + 1)), tf.square(v))));
        return tf.addN(terms) as tf.Scalar;
      },
      false,
      vars,
    );
  });
}

async function values(tensors: tf.Tensor[]): Promise<Float32Array[]> {
  return await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
}

async function slotValues(opt: tf.Optimizer): Promise<Float32Array[]> {
  const [iterations, ...slots] = await opt.getWeights();
  iterations.tensor.dispose();
  return await values(slots.map((s) => s.tensor));
}

const PAIRS = [
  {
    label: "Adam",
    suffixes: ["m", "v"],
    tfjs: () => tf.train.adam(0.01, 0.9, 0.999, 1e-7),
    fused: () => new FusedAdam(ADAM),
  },
  {
    label: "Momentum",
    suffixes: ["momentum"],
    tfjs: () => tf.train.momentum(0.05, 0.8),
    fused: () => new FusedMomentum(MOMENTUM),
  },
];

async function slotNames(opt: tf.Optimizer): Promise<string[]> {
  const [iterations, ...slots] = await opt.getWeights();
  iterations.tensor.dispose();
  return slots.map((s) => s.name);
}

for (const backend of ["wasm", "cpu"] as const) {
  for (const pair of PAIRS) {
    Deno.test(`Fused${pair.label} takes tf.train's float32 steps bit for bit on ${backend}`, async () => {
      await useBackend(backend);
      try {
        const before = tf.memory().numTensors;
        const reference = weights(1), fused = weights(1);
        const initial = await values(fused);
        const tfjsOpt = pair.tfjs(), fusedOpt = pair.fused();
        for (let k = 0; k < 6; k++) {
          step(tfjsOpt, reference, k);
          step(fusedOpt, fused, k);
        }
        assert.equal(fusedOpt.lastPath, backend === "wasm" ? "heap" : "ops");
        assert.deepEqual(await values(fused), await values(reference), "weights");
        assert.deepEqual(await slotValues(fusedOpt), await slotValues(tfjsOpt), "slots");
        const named = (vars: tf.Variable[]) =>
          pair.suffixes.flatMap((s) => vars.map((v) => `${v.name}/${s}`));
        assert.deepEqual(await slotNames(tfjsOpt), named(reference), "tfjs's slot layout");
        assert.deepEqual(await slotNames(fusedOpt), named(fused), "the same layout");
        (await values(fused)).forEach((w, i) => assert.notDeepEqual(w, initial[i], `weight ${i} moved`));
        tfjsOpt.dispose();
        (tfjsOpt as unknown as { c?: tf.Tensor }).c?.dispose(); // MomentumOptimizer.dispose() forgets it
        fusedOpt.dispose();
        tf.dispose([...reference, ...fused]);
        assert.equal(tf.memory().numTensors, before, "no tensors left behind");
      } finally {
        await useBackend("wasm");
      }
    });
  }
}

for (const pair of PAIRS) {
  Deno.test(`Fused${pair.label}.setLearningRate changes the coming steps, and getConfig keeps the base rate`, async () => {
    // Three steps at the base rate, then three at a tenth of it, beside an optimizer that keeps the base rate.
    const changed = weights(3), constant = weights(3);
    const changedOpt = pair.fused(), constantOpt = pair.fused();
    for (let k = 0; k < 3; k++) {
      step(changedOpt, changed, k);
      step(constantOpt, constant, k);
    }
    assert.deepEqual(await values(changed), await values(constant), "the same rate takes the same steps");
    const before = await values(changed);
    const base = changedOpt.getConfig().learningRate as number;
    changedOpt.setLearningRate(base / 10);
    for (let k = 3; k < 6; k++) {
      step(changedOpt, changed, k);
      step(constantOpt, constant, k);
    }
    const moved = (after: Float32Array[]) =>
      after.reduce((s, w, i) => s + w.reduce((t, v, j) => t + Math.abs(v - before[i][j]), 0), 0);
    const small = moved(await values(changed)), full = moved(await values(constant));
    assert.ok(
      small < full / 5 && small > 0,
      `moved ${small} at a tenth of the rate, ${full} at the base rate`,
    );
    assert.equal(changedOpt.getConfig().learningRate, base, "the saved config keeps the base rate");
    changedOpt.dispose();
    constantOpt.dispose();
    tf.dispose([...changed, ...constant]);
  });
}

Deno.test("FusedAdam and FusedMomentum report tfjs's class names and configs", () => {
  const adam = new FusedAdam(ADAM), momentum = new FusedMomentum(MOMENTUM);
  const tfjs = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
  assert.equal(adam.getClassName(), "Adam");
  assert.deepEqual(adam.getConfig(), tfjs.getConfig());
  tfjs.dispose();
  assert.equal(momentum.getClassName(), "Momentum");
  assert.deepEqual(momentum.getConfig(), { learningRate: 0.05, momentum: 0.8, useNesterov: false });
});

for (const pair of PAIRS) {
  Deno.test(`Fused${pair.label} getWeights/setWeights round trip continues the same steps`, async () => {
    const before = tf.memory().numTensors;
    const straight = weights(5), resumed = weights(5);
    const a = pair.fused(), b = pair.fused();
    for (let k = 0; k < 3; k++) {
      step(a, straight, k);
      step(b, resumed, k);
    }
    // Copy the state out as a checkpoint would, then restore it into a fresh optimizer.
    const [iterations, ...slots] = await b.getWeights();
    const saved = await values(slots.map((s) => s.tensor));
    const names = slots.map((s) => s.name);
    const restored = [
      iterations,
      ...saved.map((v, i) => ({ name: names[i], tensor: tf.tensor(v, slots[i].tensor.shape) })),
    ];
    b.dispose();
    const c = pair.fused();
    await c.setWeights(restored);
    tf.dispose(restored.map((r) => r.tensor));
    assert.deepEqual(await slotValues(c), saved);
    for (let k = 3; k < 6; k++) {
      step(a, straight, k);
      step(c, resumed, k);
    }
    assert.deepEqual(await values(resumed), await values(straight));
    assert.deepEqual(await slotValues(c), await slotValues(a));
    [a, c].forEach((o) => o.dispose());
    tf.dispose([...straight, ...resumed]);
    assert.equal(tf.memory().numTensors, before);
  });
}

const ADAM_CONFIG: OptimizerConfig = TrainingConfig.parse({ optimizer: { lr: 0.01 } }).optimizer;

Deno.test("a tf.train.adam checkpoint resumes in FusedAdam (and back) to the last bit", async () => {
  const before = tf.memory().numTensors;
  const straight = weights(9), viaFused = weights(9), viaTfjs = weights(9);
  const make = { tfjs: () => tf.train.adam(0.01, 0.9, 0.999, 1e-7), fused: () => new FusedAdam(ADAM) };
  const opts: tf.Optimizer[] = [make.tfjs(), make.tfjs(), make.fused()];
  for (let k = 0; k < 4; k++) opts.forEach((o, i) => step(o, [straight, viaFused, viaTfjs][i], k));
  // tfjs -> fused, fused -> tfjs
  const fromTfjs = await readTfjsOptimizerState(opts[1], ADAM_CONFIG);
  const fromFused = await readTfjsOptimizerState(opts[2], ADAM_CONFIG);
  assert.deepEqual(fromFused, fromTfjs, "the same state, slot for slot");
  const next: tf.Optimizer[] = [make.fused(), make.tfjs()];
  await restoreTfjsOptimizerState(next[0], viaFused, fromTfjs, ADAM_CONFIG);
  await restoreTfjsOptimizerState(next[1], viaTfjs, fromFused, ADAM_CONFIG);
  for (let k = 4; k < 9; k++) {
    step(opts[0], straight, k);
    step(next[0], viaFused, k);
    step(next[1], viaTfjs, k);
  }
  const expected = await values(straight);
  assert.deepEqual(await values(viaFused), expected);
  assert.deepEqual(await values(viaTfjs), expected);
  [...opts, ...next].forEach((o) => o.dispose());
  tf.dispose([...straight, ...viaFused, ...viaTfjs]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("the wasm update leaves tensors that share a weight's or a slot's buffer unchanged", async () => {
  const [w] = weights(3);
  const snapshot = tf.clone(w); // mmml's Identity shares w's buffer on wasm
  const expected = Float32Array.from(await snapshot.data());
  const opt = new FusedMomentum(MOMENTUM);
  step(opt, [w], 0);
  // A slot restored from a tensor the caller keeps: the caller's tensor must not change either.
  const [iterations, slot] = await opt.getWeights();
  const held = tf.tensor(await slot.tensor.data(), slot.tensor.shape);
  const heldValues = Float32Array.from(await held.data());
  const restored = new FusedMomentum(MOMENTUM);
  await restored.setWeights([iterations, { name: slot.name, tensor: held }]);
  for (let k = 1; k < 3; k++) step(restored, [w], k);
  assert.equal(restored.lastPath, "heap");
  assert.deepEqual(await snapshot.data(), expected, "the clone kept the old weights");
  assert.deepEqual(await held.data(), heldValues, "the caller's slot tensor kept its values");
  assert.notDeepEqual(await w.data(), expected, "the weight moved");
  [opt, restored].forEach((o) => o.dispose());
  tf.dispose([w, snapshot, held, iterations.tensor]);
});

/** Seeded float32 variables made inside tidy, so each owns its buffer (in place is only tried on those). */
function owned(shapes: number[][], seed: number): tf.Variable[] {
  return shapes.map((shape, i) =>
    tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 1, "float32", seed + i)))
  );
}

for (const mode of ["fresh", "in-place"] as const) {
  Deno.test(`after a wasm update (weights ${mode}) conv, depthwise conv and matMul use the new weights`, async () => {
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, "float32", 11) as tf.Tensor4D;
    const a = tf.randomNormal([3, 5], 0, 1, "float32", 12) as tf.Tensor2D;
    const weights = owned([[3, 3, 2, 4], [3, 3, 2, 1], [5, 2]], 13);
    const forward = ([filter, depthwise, kernel]: tf.Tensor[]) =>
      tf.tidy(() =>
        tf.addN([
          tf.sum(tf.conv2d(x, filter as tf.Tensor4D, 1, "same")),
          tf.sum(tf.depthwiseConv2d(x, depthwise as tf.Tensor4D, 1, "same")),
          tf.sum(tf.matMul(a, kernel as tf.Tensor2D)),
        ])
      );
    // The first pass builds (and caches) XNNPACK operators that hold the old weights, packed.
    tf.dispose(forward(weights));
    const opt = new FusedAdam(ADAM, { weights: mode });
    tf.tidy(() => void opt.minimize(() => tf.sum(tf.square(forward(weights))) as tf.Scalar, false, weights));
    assert.equal(opt.lastPath, "heap");
    const copies = await Promise.all(weights.map(async (w) => tf.tensor(await w.data(), w.shape)));
    const [got, expected] = [forward(weights), forward(copies)];
    assert.deepEqual(await got.data(), await expected.data());
    opt.dispose();
    tf.dispose([x, a, ...weights, ...copies, got, expected]);
    assert.equal(tf.memory().numTensors, before);
  });
}
