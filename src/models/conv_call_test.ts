import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ModelConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { buildModel } from "./architectures.ts";
import { installConvCall } from "./conv_call.ts";

await useBackend("wasm");

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

Deno.test("installConvCall gives the fused call's output and gradients, and declines convs with a bias", () => {
  const x = tf.randomNormal([2, 9, 9, 8], 0, 1, "float32", 3);
  for (const [strides, padding] of [[1, "same"], [2, "valid"], [2, "same"]] as const) {
    const make = () => tf.layers.conv2d({ filters: 5, kernelSize: 3, strides, padding, useBias: false });
    const [plain, installed] = [make(), make()];
    plain.apply(x);
    installed.apply(x);
    installed.setWeights(plain.getWeights());
    assert.equal(installConvCall(installed), true);
    const run = (layer: tf.layers.Layer) =>
      tf.variableGrads(() => tf.sum(tf.square(layer.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
    const [a, b] = [run(plain), run(installed)];
    assert.ok(Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0]) < 1e-3, `loss, ${strides} ${padding}`);
    const [ga, gb] = [Object.values(a.grads), Object.values(b.grads)];
    assert.equal(ga.length, gb.length);
    ga.forEach((g, i) => assert.ok(maxDiff(g, gb[i]) < 1e-4, `filter gradient, ${strides} ${padding}`));
    assert.ok(maxDiff(plain.apply(x) as tf.Tensor, installed.apply(x) as tf.Tensor) < 1e-5);
    tf.dispose([a.value, b.value, ...ga, ...gb]);
    plain.dispose();
    installed.dispose();
  }
  const biased = tf.layers.conv2d({ filters: 2, kernelSize: 1, useBias: true });
  biased.apply(x);
  assert.equal(installConvCall(biased), false);
  const relu = tf.layers.conv2d({ filters: 2, kernelSize: 1, useBias: false, activation: "relu" });
  relu.apply(x);
  assert.equal(installConvCall(relu), false);
  tf.dispose([x]);
});

Deno.test("A ResNet-18 training step computes no gradient for the input image (one input gradient per conv but the stem)", async () => {
  const model = buildModel(ModelConfig.parse({ arch: "resnet18", dropout: 0 }), {
    inputShape: [32, 32, 3],
    numClasses: 3,
    seed: 1,
  });
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 1);
  const convs = model.net.layers.filter((l) => l.getClassName() === "Conv2D").length;
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() =>
      tf.sum(model.net.apply(x, { training: true }) as tf.Tensor) as tf.Scalar
    );
    tf.dispose([value, ...Object.values(grads)]);
  });
  const count = (name: string) => info.kernels.filter((k) => k.name === name).length;
  assert.equal(count("Conv2DBackpropFilter"), convs);
  assert.equal(count("Conv2DBackpropInput"), convs - 1);
  x.dispose();
  model.net.dispose();
});
