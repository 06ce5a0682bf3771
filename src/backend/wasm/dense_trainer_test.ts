import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MmmlError } from "../../errors.ts";
import { createRng } from "../../random.ts";
import { createDenseTrainer, denseTrainerSupports } from "./dense_trainer.ts";
import type { DenseActivation, DenseOptimizer, DenseTrainer } from "./dense_trainer_types.ts";

await tf.setBackend("cpu");

const DIMS = [5, 9, 6, 3];
const ADAM: DenseOptimizer = { name: "adam", lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const MOMENTUM: DenseOptimizer = { name: "sgd", lr: 0.1, momentum: 0.9 };

function spec(activation: DenseActivation, dropout = 0, dims = DIMS) {
  return dims.slice(1).map((outDim, i) => ({
    inDim: dims[i],
    outDim,
    activation,
    dropout: i < dims.length - 2 ? dropout : 0,
  }));
}

function batches(count: number, n: number, seed: number, dims = DIMS) {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => ({
    x: Float32Array.from({ length: n * dims[0] }, () => rng.normal()),
    y: Int32Array.from({ length: n }, () => rng.int(dims[dims.length - 1])),
    w: Float32Array.from({ length: n }, () => rng.next() * 2),
  }));
}

function tfjsModel(activation: DenseActivation, dims = DIMS): tf.Sequential {
  const model = tf.sequential();
  for (let i = 1; i < dims.length; i++) {
    model.add(tf.layers.dense({
      units: dims[i],
      inputShape: i === 1 ? [dims[0]] : undefined,
      activation: i === dims.length - 1 ? "softmax" : activation,
      // Seeded so every run compares the same trajectories: with random starts, Adam's m/sqrt(v) on
      // near-zero gradients now and then turns last-bit rounding into a 3e-5 difference.
      kernelInitializer: tf.initializers.glorotUniform({ seed: 7 * i }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 11 * i }),
    }));
  }
  return model;
}

function tfjsWeights(model: tf.LayersModel) {
  return model.layers.map((layer) => {
    const [kernel, bias] = layer.getWeights().map((t) => t.dataSync() as Float32Array);
    return { kernel, bias };
  });
}

/** |a - b| <= tol * max(|b|, 0.01): relative, with a floor so near-zero weights do not dominate. */
function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 0.01);
    assert.ok(err <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]} (relative error ${err})`);
  }
}

function assertSameWeights(engine: DenseTrainer, model: tf.LayersModel, tol: number, what: string) {
  const ours = engine.getWeights(), theirs = tfjsWeights(model);
  ours.forEach((w, i) => {
    assertClose(w.kernel, theirs[i].kernel, tol, `${what} layer ${i} kernel`);
    assertClose(w.bias, theirs[i].bias, tol, `${what} layer ${i} bias`);
  });
}

for (const [optName, opt] of [["Adam", ADAM], ["Momentum", MOMENTUM]] as const) {
  Deno.test(`DenseTrainer follows tfjs ${optName} training step by step for every activation`, async () => {
    const before = tf.memory().numTensors;
    for (const activation of ["relu", "tanh", "sigmoid", "elu", "selu", "gelu", "swish", "linear"] as const) {
      const model = tfjsModel(activation);
      const optimizer = opt.name === "adam"
        ? tf.train.adam(opt.lr, opt.beta1, opt.beta2, opt.epsilon)
        : tf.train.momentum(opt.lr, opt.momentum);
      model.compile({ optimizer, loss: "categoricalCrossentropy" });
      const engine = await createDenseTrainer({
        layers: spec(activation),
        optimizer: opt,
        seed: 1,
        maxBatch: 16,
      });
      engine.setWeights(tfjsWeights(model));
      let afterFirstStep = 0;
      for (const [s, b] of batches(4, 13, 100).entries()) {
        const ours = engine.trainBatch(b.x, b.y, 13);
        const xs = tf.tensor2d(b.x, [13, DIMS[0]]);
        const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(b.y, "int32"), 3));
        const theirs = (await model.trainOnBatch(xs, ys)) as number;
        tf.dispose([xs, ys]);
        assertClose([ours], [theirs], 1e-5, `${activation} step ${s} loss`);
        if (s === 0) afterFirstStep = tf.memory().numTensors; // the optimizer's slots now exist
      }
      assert.equal(tf.memory().numTensors, afterFirstStep, `${activation}: tensors leaked per step`);
      assertSameWeights(engine, model, 1e-5, activation);
      const probe = batches(1, 11, 200)[0].x;
      const theirs = tf.tidy(() =>
        (model.predict(tf.tensor2d(probe, [11, DIMS[0]])) as tf.Tensor).dataSync()
      );
      const ours = engine.predict(probe, 11);
      for (let i = 0; i < ours.length; i++) {
        assert.ok(Math.abs(ours[i] - theirs[i]) <= 1e-5, `${activation} p[${i}]`);
      }
      engine.dispose();
      model.dispose();
      optimizer.dispose();
      // tfjs's MomentumOptimizer.dispose() forgets the -lr scalar its SGD base class keeps.
      if (opt.name === "sgd") (optimizer as unknown as { c: tf.Tensor }).c.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });
}

Deno.test("DenseTrainer matches tfjs for a lone softmax layer and a deep stack, predicting in chunks", async () => {
  const before = tf.memory().numTensors;
  for (const dims of [[6, 4], [7, 16, 12, 8, 5, 3]]) {
    const model = tfjsModel("elu", dims);
    const optimizer = tf.train.adam(ADAM.lr, 0.9, 0.999, 1e-7);
    model.compile({ optimizer, loss: "categoricalCrossentropy" });
    const engine = await createDenseTrainer({
      layers: spec("elu", 0, dims),
      optimizer: ADAM,
      seed: 4,
      maxBatch: 4,
    });
    engine.setWeights(tfjsWeights(model));
    const classes = dims[dims.length - 1];
    for (const b of batches(3, 4, 700, dims)) {
      const ours = engine.trainBatch(b.x, b.y, 4);
      const xs = tf.tensor2d(b.x, [4, dims[0]]);
      const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(b.y, "int32"), classes));
      assertClose([ours], [(await model.trainOnBatch(xs, ys)) as number], 1e-5, `${dims} loss`);
      tf.dispose([xs, ys]);
    }
    assertSameWeights(engine, model, 1e-5, `${dims}`);
    const probe = batches(1, 11, 800, dims)[0].x; // 11 rows through maxBatch 4: three kernel calls
    const theirs = tf.tidy(() => (model.predict(tf.tensor2d(probe, [11, dims[0]])) as tf.Tensor).dataSync());
    const ours = engine.predict(probe, 11);
    assert.equal(ours.length, theirs.length);
    for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(ours[i] - theirs[i]) <= 1e-5, `${dims} p[${i}]`);
    engine.dispose();
    model.dispose();
    optimizer.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("DenseTrainer weighs the loss as sum(w * ce) / sum(w), like a tfjs custom loss", async () => {
  const before = tf.memory().numTensors;
  const model = tfjsModel("relu");
  const engine = await createDenseTrainer({ layers: spec("relu"), optimizer: ADAM, seed: 1, maxBatch: 16 });
  engine.setWeights(tfjsWeights(model));
  const optimizer = tf.train.adam(ADAM.lr, 0.9, 0.999, 1e-7);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  for (const b of batches(3, 16, 300)) {
    const ours = engine.trainBatch(b.x, b.y, 16, b.w);
    const theirs = tf.tidy(() => {
      const xs = tf.tensor2d(b.x, [16, DIMS[0]]), ys = tf.oneHot(tf.tensor1d(b.y, "int32"), 3);
      const w = tf.tensor1d(b.w);
      const cost = optimizer.minimize(
        () => {
          const ce = tf.metrics.categoricalCrossentropy(ys, model.apply(xs) as tf.Tensor);
          return tf.div(tf.sum(tf.mul(ce, w)), tf.sum(w));
        },
        true,
        vars,
      ) as tf.Scalar;
      return cost.dataSync()[0];
    });
    assertClose([ours], [theirs], 1e-5, "weighted loss");
  }
  assertSameWeights(engine, model, 1e-5, "weighted");
  model.dispose();
  optimizer.dispose();
  engine.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("DenseTrainer: a weight of 2 counts a row twice and a weight of 0 ignores it", async () => {
  const [b] = batches(1, 6, 400);
  const make = () => createDenseTrainer({ layers: spec("tanh"), optimizer: MOMENTUM, seed: 3, maxBatch: 16 });
  const weighted = await make(), duplicated = await make(), dropped = await make(), kept = await make();
  const w = Float32Array.of(2, 1, 1, 0, 1, 1);
  const lw = weighted.trainBatch(b.x, b.y, 6, w);
  // The same batch with row 0 repeated and row 3 removed, unweighted.
  const rows = [0, 0, 1, 2, 4, 5];
  const x = new Float32Array(rows.length * 5), y = new Int32Array(rows.length);
  rows.forEach((r, i) => (x.set(b.x.subarray(r * 5, r * 5 + 5), i * 5), y[i] = b.y[r]));
  const ld = duplicated.trainBatch(x, y, rows.length);
  assertClose([lw], [ld], 1e-6, "loss");
  weighted.getWeights().forEach((l, i) =>
    assertClose(l.kernel, duplicated.getWeights()[i].kernel, 1e-5, "kernel")
  );
  // All-equal weights are the unweighted mean.
  assertClose(
    [dropped.trainBatch(b.x, b.y, 6, new Float32Array(6).fill(3))],
    [kept.trainBatch(b.x, b.y, 6)],
    1e-6,
    "x3",
  );
});

Deno.test("DenseTrainer dropout is seeded and drops about `rate` of the units with 1/(1-rate) scaling", async () => {
  const hidden = 4000, rate = 0.3;
  const layers = spec("linear", rate, [1, hidden, 2]);
  const sgd: DenseOptimizer = { name: "sgd", lr: 1, momentum: 0 };
  const make = (seed: number) => createDenseTrainer({ layers, optimizer: sgd, seed, maxBatch: 4 });
  const [a, b, c] = await Promise.all([make(5), make(5), make(6)]);
  const x = Float32Array.of(1), y = Int32Array.of(1);
  const w0 = a.getWeights();
  for (const t of [a, b, c]) t.trainBatch(x, y, 1);
  assert.deepEqual(a.getWeights(), b.getWeights(), "same seed, same masks");
  assert.notDeepEqual(a.getWeights(), c.getWeights(), "another seed, other masks");
  // With one row x = 1 and a linear hidden layer, unit h outputs W1[h] * mask[h]; the output kernel's
  // row h moves by -lr * W1[h] * mask[h] * (p - onehot(y)), so it stays put exactly when h was dropped.
  const moved = a.getWeights()[1].kernel, [l0, l1] = w0;
  const kept = Array.from({ length: hidden }, (_, h) => moved[2 * h] !== l1.kernel[2 * h]);
  const scale = 1 / (1 - rate);
  const logits = [0, 1].map((cls) =>
    kept.reduce((s, k, h) => s + (k ? l0.kernel[h] * scale * l1.kernel[2 * h + cls] : 0), l1.bias[cls])
  );
  const mx = Math.max(...logits), e = logits.map((v) => Math.exp(v - mx));
  const dz = e.map((v, cls) => v / (e[0] + e[1]) - (cls === 1 ? 1 : 0));
  let dropped = 0;
  for (let h = 0; h < hidden; h++) {
    if (!kept[h]) dropped++;
    else {assertClose(
        [moved[2 * h] - l1.kernel[2 * h]],
        [-l0.kernel[h] * scale * dz[0]],
        1e-3,
        `unit ${h} step`,
      );}
  }
  const frac = dropped / hidden;
  assert.ok(Math.abs(frac - rate) < 0.03, `dropped fraction ${frac}, expected about ${rate}`);
});

Deno.test("DenseTrainer resumes from saved weights and optimizer state exactly", async (t) => {
  for (const opt of [ADAM, MOMENTUM]) {
    await t.step(opt.name, async () => {
      const data = batches(6, 10, 500);
      const make = () => createDenseTrainer({ layers: spec("relu"), optimizer: opt, seed: 9, maxBatch: 10 });
      const whole = await make(), first = await make(), resumed = await make();
      for (const b of data) whole.trainBatch(b.x, b.y, 10);
      for (const b of data.slice(0, 3)) first.trainBatch(b.x, b.y, 10);
      const state = first.getOptimizerState();
      assert.equal(state.step, 3);
      assert.equal(state.slots.length, opt.name === "adam" ? 12 : 6);
      resumed.setWeights(first.getWeights());
      resumed.setOptimizerState(state);
      for (const b of data.slice(3)) resumed.trainBatch(b.x, b.y, 10);
      assert.deepEqual(resumed.getWeights(), whole.getWeights());
      assert.deepEqual(resumed.getOptimizerState(), whole.getOptimizerState());
    });
  }
});

Deno.test("DenseTrainer setLearningRate changes the step size", async () => {
  const [b] = batches(1, 8, 600);
  const make = () => createDenseTrainer({ layers: spec("relu"), optimizer: MOMENTUM, seed: 2, maxBatch: 8 });
  const slow = await make(), fast = await make();
  const w0 = slow.getWeights()[2].bias;
  fast.setLearningRate(0.2);
  slow.trainBatch(b.x, b.y, 8);
  fast.trainBatch(b.x, b.y, 8);
  const ds = slow.getWeights()[2].bias.map((v, i) => v - w0[i]),
    df = fast.getWeights()[2].bias.map((v, i) => v - w0[i]);
  assertClose(df, ds.map((v) => 2 * v), 1e-5, "bias step");
});

Deno.test("denseTrainerSupports names what the fused engine lacks", () => {
  assert.equal(denseTrainerSupports({ layers: spec("relu", 0.1), optimizer: ADAM }), true);
  const mish = [{ inDim: 4, outDim: 8, activation: "mish", dropout: 0 }, ...spec("relu", 0, [8, 3])];
  assert.match(String(denseTrainerSupports({ layers: mish, optimizer: ADAM })), /activation "mish"/);
  assert.match(
    String(denseTrainerSupports({ layers: spec("relu"), optimizer: { name: "rmsprop" } })),
    /rmsprop/,
  );
  assert.match(
    String(denseTrainerSupports({ layers: spec("relu"), optimizer: ADAM, batchNorm: true })),
    /batch norm/,
  );
  const broken = [{ inDim: 4, outDim: 8, activation: "relu", dropout: 0 }, ...spec("relu", 0, [7, 3])];
  assert.match(String(denseTrainerSupports({ layers: broken, optimizer: ADAM })), /layer 1: input size 7/);
  const both = String(denseTrainerSupports({ layers: mish, optimizer: { name: "sgd", useNesterov: true } }));
  assert.match(both, /activation "mish".*; Nesterov momentum is not supported$/);
});

Deno.test("DenseTrainer rejects bad shapes and labels with the field and the value received", async () => {
  await assert.rejects(
    createDenseTrainer({
      layers: spec("relu"),
      optimizer: { name: "sgd", lr: 0.1, momentum: NaN },
      seed: 1,
      maxBatch: 4,
    }),
    MmmlError,
  );
  const engine = await createDenseTrainer({ layers: spec("relu"), optimizer: ADAM, seed: 1, maxBatch: 4 });
  const w = engine.getWeights();
  w[1].kernel = new Float32Array(5);
  assert.throws(() => engine.setWeights(w), /layer 1 kernel \[9, 6\]\): expected 54 values, received 5/);
  assert.throws(
    () => engine.trainBatch(new Float32Array(10), Int32Array.of(0, 3), 2),
    /row 1: class index must be 0..2, received 3/,
  );
  assert.throws(() => engine.trainBatch(new Float32Array(25), new Int32Array(5), 5), /received 5/);
  assert.throws(() => engine.setOptimizerState({ step: 0, slots: [] }), /expects 12 slot arrays, received 0/);
});

Deno.test("DenseTrainer passes the gradient p - t for a row whose true class has p < 1e-7 (loss from the logits)", async () => {
  // One softmax layer on 2 features with zero kernel: the logits are the bias [40, 0], so the row of
  // class 1 has p ~ 4e-18. Its loss is 40 (not -log(1e-7) = 16.1) and plain SGD at lr 1 moves the bias
  // by -(p - t) = [-1, +1].
  const sgd: DenseOptimizer = { name: "sgd", lr: 1, momentum: 0 };
  const engine = await createDenseTrainer({
    layers: [{ inDim: 2, outDim: 2, activation: "linear", dropout: 0 }],
    optimizer: sgd,
    seed: 1,
    maxBatch: 4,
  });
  engine.setWeights([{ kernel: new Float32Array(4), bias: Float32Array.from([40, 0]) }]);
  const loss = engine.trainBatch(new Float32Array([0, 0]), Int32Array.from([1]), 1);
  assert.ok(Math.abs(loss - 40) < 1e-4, `loss ${loss}`);
  const [{ bias }] = engine.getWeights();
  assert.ok(Math.abs(bias[0] - 39) < 1e-5 && Math.abs(bias[1] - 1) < 1e-5, `bias after one step: ${bias}`);
  engine.dispose();
});
