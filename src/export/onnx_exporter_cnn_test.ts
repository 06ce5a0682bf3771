import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import onnx from "onnx-proto";
import { useBackend } from "../backend/choose.ts";
import { exportOnnx } from "./onnx_exporter.ts";
import { tfPads } from "./onnx_spatial_layers.ts";
import { onnxParity } from "../../testing/onnx_parity.ts";
import { buildTestCnn, randomizeWeights, randomTensor } from "../../testing/onnx_test_models.ts";

await useBackend("cpu");

const TOL = 1e-4;

Deno.test("exportOnnx functional CNN (residual add, depthwise, squeeze-excitation) matches tfjs within 1e-4", async () => {
  const net = buildTestCnn({ size: 13, channels: 3, classes: 4 });
  const x = randomTensor([3, 13, 13, 3], 21);
  const before = tf.memory().numTensors;
  const r = await onnxParity(net, x);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(r.shape, [3, 4]);
  assert.ok(r.maxAbsDiff < TOL, `max abs diff ${r.maxAbsDiff}`);
  assert.ok(Math.max(...r.tfjs) - Math.min(...r.tfjs) > 0.05, "outputs should not be uniform");
  x.dispose();
  net.dispose();
});

Deno.test("exportOnnx transposes NHWC to NCHW once, at the first convolution", () => {
  const net = buildTestCnn({ size: 9 });
  const model = onnx.onnx.ModelProto.decode(exportOnnx(net, { inputShape: [9, 9, 3] }));
  const ops = model.graph!.node!.map((n) => n.opType);
  // Input -> NCHW once; global pooling and the squeeze-excitation reshape need none.
  assert.equal(ops[0], "Transpose");
  assert.equal(ops.filter((o) => o === "Transpose").length, 1);
  net.dispose();
});

Deno.test("exportOnnx sequential CNN (padding, avg pool, dilation, flatten order) matches tfjs", async () => {
  const net = tf.sequential({
    layers: [
      tf.layers.rescaling({ scale: 1 / 2, offset: -0.25, inputShape: [10, 11, 2] }),
      tf.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] }),
      tf.layers.conv2d({
        filters: 5,
        kernelSize: [3, 2],
        strides: [2, 1],
        padding: "same",
        activation: "elu",
      }),
      tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: "same" }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: "same", activation: "tanh" }),
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.maxPooling2d({ poolSize: 2, padding: "valid" }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
  randomizeWeights(net, 31, 0.5);
  const x = randomTensor([2, 10, 11, 2], 32);
  const r = await onnxParity(net, x);
  assert.ok(r.maxAbsDiff < TOL, `max abs diff ${r.maxAbsDiff}`);
  x.dispose();
  net.dispose();
});

Deno.test("exportOnnx converts a model nested inside another (backbone + head)", async () => {
  const backbone = tf.sequential({
    layers: [
      tf.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        inputShape: [6, 6, 1],
      }),
      tf.layers.batchNormalization(),
      tf.layers.globalMaxPooling2d({}),
    ],
  });
  const input = tf.input({ shape: [6, 6, 1] });
  const features = backbone.apply(input) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: "softmax" }).apply(features) as tf.SymbolicTensor;
  const net = tf.model({ inputs: input, outputs: out });
  randomizeWeights(backbone, 41);
  randomizeWeights(net, 42);
  const x = randomTensor([4, 6, 6, 1], 43);
  const r = await onnxParity(net, x);
  assert.ok(r.maxAbsDiff < TOL, `max abs diff ${r.maxAbsDiff}`);
  x.dispose();
  net.dispose();
});

Deno.test("exportOnnx merges (concatenate on channels, average, maximum, rank-broadcast multiply) match tfjs", async () => {
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: [7, 7, 3] });
  const a = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same" }), input);
  const b = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1 }), input);
  const cat = apply(tf.layers.concatenate(), [a, b]);
  const avg = apply(tf.layers.average(), [a, b]);
  const max = apply(tf.layers.maximum(), [a, b]);
  const both = apply(tf.layers.concatenate({ axis: -1 }), [cat, avg, max]);
  const gate = apply(
    tf.layers.dense({ units: 16, activation: "sigmoid" }),
    apply(tf.layers.globalAveragePooling2d({}), both),
  );
  const gated = apply(tf.layers.multiply(), [both, gate]);
  const flat = apply(
    tf.layers.flatten(),
    apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: "same" }), gated),
  );
  const out = apply(tf.layers.dense({ units: 3, activation: "softmax" }), flat);
  const net = tf.model({ inputs: input, outputs: out });
  randomizeWeights(net, 51);
  const x = randomTensor([2, 7, 7, 3], 52);
  const r = await onnxParity(net, x);
  assert.ok(r.maxAbsDiff < TOL, `max abs diff ${r.maxAbsDiff}`);
  x.dispose();
  net.dispose();
});

Deno.test("tfPads puts TF's odd 'same' padding at the bottom/right", () => {
  // in 7, k 3, s 2 -> out 4, total pad 2: [1, 1]; in 8 -> total 1: [0, 1].
  assert.deepEqual(tfPads("same", [7, 8], [3, 3], [2, 2]), [1, 0, 1, 1]);
  assert.deepEqual(tfPads("valid", [7, 8], [3, 3], [2, 2]), [0, 0, 0, 0]);
  // dilation 2 makes a 3x3 kernel span 5.
  assert.deepEqual(tfPads("same", [5, 5], [3, 3], [1, 1], [2, 2]), [2, 2, 2, 2]);
});
