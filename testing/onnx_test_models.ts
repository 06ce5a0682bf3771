/**
 * Small tfjs models for the exporter's tests, with every weight (batch-norm moving statistics too) set
 * from a seeded stream so parity is checked on non-trivial values.
 */
import * as tf from "@tensorflow/tfjs";
import { createRng, type Rng } from "../src/random.ts";

/** Overwrites every weight of `net` with seeded values; variances stay positive. */
export function randomizeWeights(net: tf.LayersModel, seed: number, scale = 0.5): void {
  const rng = createRng(seed);
  for (const layer of net.layers) {
    if (layer.weights.length === 0) continue;
    const values = layer.weights.map((w) => {
      const n = (w.shape as number[]).reduce((a, b) => a * b, 1);
      const isVar = w.originalName.endsWith("moving_variance");
      const data = Float32Array.from({ length: n }, () => isVar ? 0.3 + rng.next() : rng.normal() * scale);
      return tf.tensor(data, w.shape as number[]);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** A seeded float32 tensor of standard normals. */
export function randomTensor(shape: number[], seed: number): tf.Tensor {
  const rng: Rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

/** The project's MLP shape: [dense -> (batch norm) -> activation -> dropout] x hidden, dense softmax. */
export function buildTestMlp(
  { inputs, hidden, classes, activation = "relu", batchNorm = false, seed = 1 }: {
    inputs: number;
    hidden: number[];
    classes: number;
    activation?: string;
    batchNorm?: boolean;
    seed?: number;
  },
): tf.Sequential {
  const net = tf.sequential();
  hidden.forEach((units, i) => {
    net.add(tf.layers.dense({ units, inputShape: i === 0 ? [inputs] : undefined, useBias: !batchNorm }));
    if (batchNorm) net.add(tf.layers.batchNormalization());
    // deno-lint-ignore no-explicit-any
    net.add(tf.layers.activation({ activation: activation as any }));
    net.add(tf.layers.dropout({ rate: 0.1 }));
  });
  net.add(tf.layers.dense({ units: classes, activation: "softmax" }));
  randomizeWeights(net, seed);
  return net;
}

/**
 * A small functional CNN with what ResNet and EfficientNet use: same/valid convs at strides 1 and 2,
 * depthwise conv, batch norm, relu and swish, max pool, a residual add, squeeze-excitation, global
 * average pooling and a softmax head.
 */
export function buildTestCnn({ size = 13, channels = 3, classes = 4, seed = 2 } = {}): tf.LayersModel {
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: [size, size, channels] });
  let x = apply(
    tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: "same", useBias: false }),
    input,
  );
  x = apply(tf.layers.batchNormalization(), x);
  x = apply(tf.layers.activation({ activation: "relu" }), x);
  x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }), x);
  // Residual block.
  let y = apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: "same", activation: "relu" }), x);
  y = apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: "same" }), y);
  y = apply(tf.layers.batchNormalization(), y);
  x = apply(tf.layers.add(), [x, y]);
  x = apply(tf.layers.reLU(), x);
  // MBConv-like block: depthwise, swish, squeeze-excitation.
  let d = apply(
    tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: "same", depthMultiplier: 2 }),
    x,
  );
  d = apply(tf.layers.batchNormalization(), d);
  d = apply(tf.layers.activation({ activation: "swish" }), d);
  let se = apply(tf.layers.globalAveragePooling2d({}), d);
  se = apply(tf.layers.reshape({ targetShape: [1, 1, 16] }), se);
  se = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: "swish" }), se);
  se = apply(tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: "sigmoid" }), se);
  d = apply(tf.layers.multiply(), [d, se]);
  d = apply(tf.layers.conv2d({ filters: 12, kernelSize: 2, padding: "valid" }), d);
  const pooled = apply(tf.layers.globalAveragePooling2d({}), d);
  const dropped = apply(tf.layers.dropout({ rate: 0.2 }), pooled);
  const out = apply(tf.layers.dense({ units: classes, activation: "softmax" }), dropped);
  const net = tf.model({ inputs: input, outputs: out });
  randomizeWeights(net, seed, 0.4);
  return net;
}
