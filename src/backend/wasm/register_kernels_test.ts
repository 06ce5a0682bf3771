import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../choose.ts";
import { relativeError, seeded } from "../../../testing/cpu_parity.ts";
import { registerWasmKernels } from "./register_kernels.ts";

Deno.test("registerWasmKernels registers each kernel once and reports the same names when called again", async () => {
  await useBackend("wasm");
  const first = registerWasmKernels();
  const second = registerWasmKernels();
  assert.deepEqual(second, first);
  for (const name of ["Conv2DBackpropFilter", "Conv2DBackpropInput", "BatchMatMul", "UnsortedSegmentSum"]) {
    assert.ok(first.registered.includes(name), name);
  }
  const x = tf.ones([1, 4]);
  const y = tf.matMul(x, tf.ones([3, 4]), false, true); // one wrapping: a double wrap would still be right, so
  assert.deepEqual(Array.from(await y.data()), [4, 4, 4]); // the marker check above is what guards that
  tf.dispose([x, y]);
});

/** A tiny net holding every layer kind of ResNet-18 and EfficientNet-B0. Seeded so both backends start equal. */
function tinyCnn(): tf.LayersModel {
  let seed = 100;
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  // Convolutions feeding batch norm carry no bias, as in ResNet: BN would zero its gradient, leaving
  // only rounding noise to compare.
  const conv = (filters: number, strides: number, useBias: boolean) =>
    tf.layers.conv2d({
      filters,
      kernelSize: 3,
      strides,
      padding: "same",
      useBias,
      kernelInitializer: init(),
    });
  const input = tf.input({ shape: [16, 16, 3] });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  let x = apply(conv(8, 1, false), input);
  x = apply(tf.layers.batchNormalization(), x);
  x = apply(tf.layers.reLU(), x);
  x = apply(tf.layers.maxPooling2d({ poolSize: 2 }), x); // 8x8
  let y = apply(
    tf.layers.depthwiseConv2d({
      kernelSize: 3,
      padding: "same",
      useBias: false,
      depthwiseInitializer: init(),
    }),
    x,
  );
  y = apply(tf.layers.batchNormalization(), y);
  y = apply(tf.layers.activation({ activation: "swish" }), y);
  let se = apply(tf.layers.globalAveragePooling2d({}), y);
  se = apply(tf.layers.dense({ units: 4, activation: "swish", kernelInitializer: init() }), se);
  se = apply(tf.layers.dense({ units: 8, activation: "sigmoid", kernelInitializer: init() }), se);
  se = apply(tf.layers.reshape({ targetShape: [1, 1, 8] }), se);
  y = apply(tf.layers.multiply(), [y, se]);
  x = apply(tf.layers.add(), [x, y]); // residual
  x = apply(conv(16, 2, true), x); // 4x4
  x = apply(
    tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: "same", depthwiseInitializer: init() }),
    x,
  );
  x = apply(tf.layers.globalAveragePooling2d({}), x);
  const output = apply(tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init() }), x);
  return tf.model({ inputs: input, outputs: output });
}

Deno.test("A tiny CNN trains on wasm with falling loss, gradients matching the cpu backend and no leaked tensors", async (t) => {
  const xs = seeded([4, 16, 16, 3], 1);
  const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), 3);
  const model = tinyCnn();
  const gradients = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const p = model.apply(xs, { training: true }) as tf.Tensor;
        return tf.losses.softmaxCrossEntropy(ys, tf.log(p));
      });
      return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync().slice()]));
    });

  await t.step("gradients match the cpu backend", async () => {
    await useBackend("cpu");
    const expected = gradients();
    await useBackend("wasm");
    registerWasmKernels();
    const actual = gradients();
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
    assert.equal(Object.keys(expected).length, model.trainableWeights.length);
    for (const name of Object.keys(expected)) {
      const err = relativeError(expected[name], actual[name]);
      assert.ok(err <= 1e-3, `${name}: relative error ${err}`);
    }
  });

  await t.step("loss falls over a few Adam steps and no tensor is left behind", async () => {
    model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
    const losses = [await model.trainOnBatch(xs, ys) as number];
    // After the first step has made the optimizer's slots:
    const settled = tf.memory().numTensors, buffers = tf.backend().numDataIds();
    for (let i = 0; i < 5; i++) losses.push(await model.trainOnBatch(xs, ys) as number);
    assert.equal(tf.memory().numTensors, settled);
    assert.equal(tf.backend().numDataIds(), buffers);
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(losses[5] < losses[0] * 0.9, `losses ${losses}`);
  });
  model.optimizer?.dispose();
  model.dispose();
  tf.dispose([xs, ys]);
});
