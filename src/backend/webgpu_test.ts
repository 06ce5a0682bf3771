import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { MlpConfig } from "../config/schema.ts";
import { buildMlp } from "../models/mlp.ts";
import { createRng } from "../random.ts";
import { useBackend } from "./choose.ts";
import { isCpuAdapter, probeWebGpu } from "./webgpu.ts";

// The training tests need an adapter; CI installs lavapipe (.ci/setup_vulkan.sh) so they run there.
const probe = await probeWebGpu();
const skip = probe.available ? "" : ` (skipped: ${probe.reason}; install mesa-vulkan-drivers libvulkan1)`;

function seeded(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rng = createRng(seed);
  return tf.tensor(
    Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => (rng.next() - 0.5) * scale),
    shape,
  );
}

function oneHot(n: number, classes: number, seed: number): tf.Tensor2D {
  const rng = createRng(seed);
  return tf.tidy(() =>
    tf.oneHot(
      tf.tensor1d(Array.from({ length: n }, () => Math.floor(rng.next() * classes)), "int32"),
      classes,
    )
  ) as tf.Tensor2D;
}

/** The largest |a - b| over all values of two weight lists. */
function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  a.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j])))));
  return worst;
}

interface StepResult {
  /** Outputs for the batch before any update. */
  before: Float32Array;
  /** Losses of the first and the following steps. */
  losses: number[];
  /** Weights after the first step. */
  afterOne: Float32Array[];
}

/**
 * Builds a model on the current backend, gives it `init` weights, and takes `steps` SGD steps on one
 * batch. Everything it makes is disposed, so the tensor count is unchanged afterwards.
 */
async function trainSteps(
  build: () => tf.LayersModel,
  init: Float32Array[],
  x: tf.Tensor,
  y: tf.Tensor,
  steps: number,
): Promise<StepResult> {
  const net = build();
  const optimizer = tf.train.sgd(0.1);
  try {
    const weights = net.getWeights().map((w, i) => tf.tensor(init[i], w.shape));
    net.setWeights(weights);
    tf.dispose(weights);
    net.compile({ optimizer, loss: "categoricalCrossentropy" });
    // dataSync is not an option: tfjs-backend-webgpu reads synchronously through an OffscreenCanvas, which
    // Deno lacks; every read here is async.
    const out = net.predict(x) as tf.Tensor;
    const before = await out.data() as Float32Array;
    out.dispose();
    const losses: number[] = [];
    let afterOne: Float32Array[] = [];
    for (let i = 0; i < steps; i++) {
      losses.push(Number(await net.trainOnBatch(x, y)));
      if (i === 0) {
        afterOne = await Promise.all(net.getWeights().map((w) => w.data() as Promise<Float32Array>));
      }
    }
    return { before, losses, afterOne };
  } finally {
    optimizer.dispose();
    net.dispose();
  }
}

/** Runs the same steps on wasm and on webgpu from the same initial weights. */
async function compareBackends(
  build: () => tf.LayersModel,
  inputShape: number[],
  classes: number,
  steps: number,
) {
  await useBackend("wasm");
  const start = tf.memory().numTensors;
  const probeNet = build();
  const shapes = probeNet.getWeights().map((w) => w.shape);
  probeNet.dispose();
  const init = tf.tidy(() =>
    shapes.map((shape, i) => seeded(shape, 100 + i, 0.6).dataSync() as Float32Array)
  );
  const batch = () => ({ x: seeded([16, ...inputShape], 7, 2), y: oneHot(16, classes, 8) });
  let data = batch();
  const wasm = await trainSteps(build, init, data.x, data.y, 1);
  tf.dispose([data.x, data.y]);
  assert.equal(tf.memory().numTensors, start, "wasm run leaked tensors");

  await useBackend("webgpu");
  const gpuStart = tf.memory().numTensors;
  data = batch();
  const gpu = await trainSteps(build, init, data.x, data.y, steps);
  tf.dispose([data.x, data.y]);
  assert.equal(tf.memory().numTensors, gpuStart, "webgpu run leaked tensors");
  await useBackend("wasm");
  return { wasm, gpu };
}

/** Each step lowers the loss, and the last is at least 5% below the first. */
function assertFalling(losses: number[]): void {
  const falling = losses.every((l, i) => i === 0 || l < losses[i - 1]) && losses.at(-1)! < losses[0] * 0.95;
  assert.ok(falling, `loss did not fall step by step: ${losses.map((l) => l.toFixed(4)).join(", ")}`);
}

const SMALL_MLP: MlpConfig = {
  arch: "mlp",
  hidden: [16, 8],
  dropout: 0,
  activation: "relu",
  batch_norm: false,
};

Deno.test({
  name: `webgpu: the project's MLP trains with falling loss and matches wasm after one step${skip}`,
  ignore: !probe.available,
  async fn() {
    const build = () => buildMlp(SMALL_MLP, { inputShape: [6], numClasses: 3, seed: 1 }).net;
    const { wasm, gpu } = await compareBackends(build, [6], 3, 8);
    assert.ok(maxDiff([wasm.before], [gpu.before]) < 1e-4, "outputs before the step differ");
    assert.ok(Math.abs(wasm.losses[0] - gpu.losses[0]) < 1e-4, `loss ${wasm.losses[0]} vs ${gpu.losses[0]}`);
    assert.ok(
      maxDiff(wasm.afterOne, gpu.afterOne) < 1e-3,
      `weights differ by ${maxDiff(wasm.afterOne, gpu.afterOne)}`,
    );
    assertFalling(gpu.losses);
  },
});

/** conv -> batch norm -> relu -> max pool -> conv -> relu -> global average pool -> dense softmax. */
function smallCnn(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: "same", useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
}

Deno.test({
  name: `webgpu: a small CNN (conv, batch norm, pool) trains with falling loss and matches wasm${skip}`,
  ignore: !probe.available,
  async fn() {
    const { wasm, gpu } = await compareBackends(smallCnn, [8, 8, 2], 3, 8);
    assert.ok(maxDiff([wasm.before], [gpu.before]) < 1e-4, "outputs before the step differ");
    assert.ok(Math.abs(wasm.losses[0] - gpu.losses[0]) < 1e-4, `loss ${wasm.losses[0]} vs ${gpu.losses[0]}`);
    assert.ok(
      maxDiff(wasm.afterOne, gpu.afterOne) < 1e-3,
      `weights differ by ${maxDiff(wasm.afterOne, gpu.afterOne)}`,
    );
    assertFalling(gpu.losses);
  },
});

Deno.test({
  name: `webgpu: a synchronous read of a GPU result fails saying to use await data()${skip}`,
  ignore: !probe.available,
  async fn() {
    await useBackend("webgpu");
    try {
      const onCpu = tf.tensor1d([1, 2, 3]);
      assert.deepEqual([...onCpu.dataSync()], [1, 2, 3]); // never uploaded: still readable
      const onGpu = tf.square(onCpu);
      assert.throws(
        () => onGpu.dataSync(),
        /dataSync\/arraySync\) ran on the webgpu backend.*await tensor\.data\(\)/,
      );
      assert.deepEqual([...await onGpu.data()], [1, 4, 9]);
      tf.dispose([onCpu, onGpu]);
    } finally {
      await useBackend("wasm");
    }
  },
});

Deno.test("isCpuAdapter tells lavapipe and SwiftShader from a GPU", () => {
  assert.equal(
    isCpuAdapter({ description: "llvmpipe (LLVM 15.0.6, 256 bits)", isFallbackAdapter: false }),
    true,
  );
  assert.equal(isCpuAdapter({ description: "SwiftShader Device (Subzero)" }), true);
  assert.equal(isCpuAdapter({ description: "NVIDIA H100 80GB HBM3", isFallbackAdapter: false }), false);
  assert.equal(isCpuAdapter({ description: "", isFallbackAdapter: true }), true);
});

Deno.test("probeWebGpu reports no adapter, and a GPU adapter with its facts", async () => {
  const none = await probeWebGpu({ gpu: { requestAdapter: () => Promise.resolve(null) } });
  assert.equal(none.available, false);
  assert.match(none.reason, /no WebGPU adapter/);
  const missing = await probeWebGpu({ gpu: null });
  assert.equal(missing.available, false);
  const info = {
    vendor: "nvidia",
    architecture: "hopper",
    device: "0x2330",
    description: "NVIDIA H100 80GB HBM3",
    isFallbackAdapter: false,
  };
  const gpu = await probeWebGpu({ gpu: { requestAdapter: () => Promise.resolve({ info }) } });
  assert.deepEqual(gpu.adapter, { ...info, cpu: false });
  assert.match(gpu.reason, /GPU adapter "NVIDIA H100/);
});
