import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ModelConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import {
  activation,
  batchNorm,
  classifierHead,
  conv2d,
  seedSource,
  wrapVisionModel,
} from "./vision_layers.ts";

await useBackend("wasm");

function oneLayer(shape: number[], build: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const input = tf.input({ shape });
  return tf.model({ inputs: input, outputs: build(input) });
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

Deno.test("conv2d with stride 2 pads like torch (k-1)/2 on every side, even on even-sized inputs", () => {
  const x = tf.randomNormal([2, 6, 6, 4], 0, 1, "float32", 1);
  const dense = oneLayer(
    [6, 6, 4],
    (i) => conv2d(i, { name: "c", filters: 3, kernel: 3, stride: 2 }, seedSource(1)),
  );
  const depthwise = oneLayer(
    [6, 6, 4],
    (i) => conv2d(i, { name: "d", filters: 4, kernel: 5, stride: 2, depthwise: true }, seedSource(2)),
  );
  try {
    tf.tidy(() => {
      const got = dense.predict(x) as tf.Tensor;
      const kernel = dense.getLayer("c").getWeights()[0] as tf.Tensor4D;
      const torch = tf.conv2d(x as tf.Tensor4D, kernel, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      assert.deepEqual(got.shape, [2, 3, 3, 3]);
      assert.ok(maxDiff(got, torch) < 1e-5);
      // TF's "same" would pad only bottom/right here and give different values.
      assert.ok(maxDiff(got, tf.conv2d(x as tf.Tensor4D, kernel, 2, "same")) > 1e-3);
    });
    tf.tidy(() => {
      const got = depthwise.predict(x) as tf.Tensor;
      const kernel = depthwise.getLayer("d").getWeights()[0] as tf.Tensor4D;
      const padded = tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]]) as tf.Tensor4D;
      assert.ok(maxDiff(got, tf.depthwiseConv2d(padded, kernel, 2, "valid")) < 1e-5);
    });
  } finally {
    x.dispose();
    dense.dispose();
    depthwise.dispose();
  }
});

Deno.test("conv2d starts from torch's kaiming_normal_(fan_out) and is reproducible from the seed", () => {
  const std = (values: Float32Array) => Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
  const kernelOf = (seed: number, depthwise: boolean) => {
    const net = oneLayer(
      [4, 4, 64],
      (i) => conv2d(i, { name: "c", filters: 128, kernel: 3, depthwise }, seedSource(seed)),
    );
    try {
      return net.getLayer("c").getWeights()[0].dataSync() as Float32Array;
    } finally {
      net.dispose();
    }
  };
  const conv = kernelOf(3, false);
  assert.ok(Math.abs(std(conv) / Math.sqrt(2 / (128 * 9)) - 1) < 0.05, `std ${std(conv)}`);
  // torch's fan_out for a depthwise conv is channels * k * k.
  const dw = kernelOf(3, true);
  assert.ok(Math.abs(std(dw) / Math.sqrt(2 / (64 * 9)) - 1) < 0.1, `std ${std(dw)}`);
  assert.deepEqual(kernelOf(3, false), conv);
  assert.notDeepEqual(kernelOf(4, false), conv);
});

Deno.test("seedSource hands out distinct seeds in order, and none without a model seed", () => {
  const a = seedSource(9);
  const b = seedSource(9);
  const seeds = [a(), a(), a()];
  assert.deepEqual([b(), b(), b()], seeds);
  assert.equal(new Set(seeds).size, 3);
  assert.equal(seedSource(undefined)(), undefined);
});

Deno.test("a frozen vision model keeps batch norm in inference mode while training; unfreeze restores it", () => {
  const seeds = seedSource(5);
  const input = tf.input({ shape: [6, 6, 3] });
  let y = conv2d(input, { name: "conv1", filters: 8, kernel: 3 }, seeds);
  y = activation(batchNorm(y, "bn1"), "relu", "relu");
  const net = tf.model({
    inputs: input,
    outputs: classifierHead(y, { numClasses: 3, dropout: 0, initBound: 0.3 }, seeds),
  });
  const model = wrapVisionModel(net, ModelConfig.parse({ arch: "resnet18" }), {
    inputShape: [6, 6, 3],
    numClasses: 3,
  });
  const x = tf.randomNormal([4, 6, 6, 3], 2, 3, "float32", 6);
  const movingMean = () => Array.from(net.getLayer("bn1").getWeights()[2].dataSync());
  const trainingCall = () => tf.tidy(() => (net.apply(x, { training: true }) as tf.Tensor).dataSync());
  try {
    const before = tf.memory().numTensors;
    const initial = movingMean();
    model.freeze();
    assert.equal(model.trainableParamCount(), 8 * 3 + 3);
    const frozen = trainingCall();
    assert.deepEqual(movingMean(), initial);
    const inference = tf.tidy(() => model.predict(x).dataSync());
    assert.deepEqual(Array.from(frozen), Array.from(inference));
    model.unfreeze();
    const training = trainingCall();
    assert.notDeepEqual(movingMean(), initial);
    assert.notDeepEqual(Array.from(training), Array.from(inference));
    assert.equal(tf.memory().numTensors, before);
  } finally {
    x.dispose();
    net.dispose();
  }
});

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`training batch norm in a vision model on ${backend} matches tfjs-layers' own call, with torch's unbiased moving variance`, async () => {
    await useBackend(backend);
    const seeds = seedSource(9);
    const input = tf.input({ shape: [5, 5, 3] });
    const net = tf.model({
      inputs: input,
      outputs: batchNorm(conv2d(input, { name: "conv1", filters: 16, kernel: 3 }, seeds), "bn1"),
    });
    wrapVisionModel(net, ModelConfig.parse({ arch: "resnet18" }), { inputShape: [5, 5, 3], numClasses: 3 });
    const layer = net.getLayer("bn1"), conv = net.getLayer("conv1");
    const own = Object.getPrototypeOf(layer).call as tf.layers.Layer["call"];
    const x = tf.randomNormal([6, 5, 5, 3], 1, 2, "float32", 3);
    // A weighted sum: sum(y^2) would be constant in the conv weights (batch norm undoes their scale).
    const weights = tf.randomNormal([6, 5, 5, 16], 0, 1, "float32", 4);
    const initial = layer.getWeights().map((w) => w.clone());
    const run = (call: (x: tf.Tensor) => tf.Tensor) => {
      layer.setWeights(initial);
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(call(x), weights)) as tf.Scalar);
      const out = [value, ...Object.values(grads), ...layer.getWeights().slice(2)].map((t) =>
        Array.from(t.dataSync())
      );
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    try {
      const before = tf.memory().numTensors;
      const fusedCall = (t: tf.Tensor) => net.apply(t, { training: true }) as tf.Tensor;
      const profile = await tf.profile(() => tf.tidy(() => fusedCall(x)));
      tf.dispose(profile.result as tf.Tensor);
      assert.equal(
        profile.kernelNames.includes("MmmlBatchNormTrain"),
        backend === "wasm",
        `${profile.kernelNames}`,
      );
      const ours = run(fusedCall);
      const reference = run((t) =>
        own.call(layer, conv.apply(t) as tf.Tensor, { training: true }) as tf.Tensor
      );
      // tfjs-layers averages the biased variance v into a moving variance starting at 1 (momentum 0.9):
      // 0.9 + 0.1 v. Ours averages v * n / (n - 1) over the n = 6 * 5 * 5 values per channel.
      const n = 150;
      reference[reference.length - 1] = reference.at(-1)!.map((m) => 0.9 + (m - 0.9) * n / (n - 1));
      ours.forEach((values, i) =>
        values.forEach((v, j) =>
          assert.ok(
            Math.abs(v - reference[i][j]) <= 1e-4 * Math.max(1, Math.abs(reference[i][j])),
            `output ${i}[${j}]: ${v} vs ${reference[i][j]}`,
          )
        )
      );
      assert.equal(tf.memory().numTensors, before);
    } finally {
      tf.dispose([x, weights, ...initial]);
      net.dispose();
      await useBackend("wasm");
    }
  });
}
