import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { batchNormTrain, batchNormTrainApplies } from "../batch_norm_op.ts";
import { swish, swishApplies } from "../swish_op.ts";
import { probeNative } from "../probes.ts";
import { compareWithCpu, convCases, seeded } from "../../../testing/cpu_parity.ts";
import { startProfile, takeProfile } from "./native_kernel.ts";

const probe = await probeNative();
const ignore = !probe.available;
const note = ignore ? ` (skipped: ${probe.reason}; install libdnnl2)` : "";

/** Gradients of sum(f(...) * w) with respect to every input, w fixed: each kernel's backward pass. */
function withGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], seed: number): tf.Tensor[] {
  const y = f(...xs);
  const w = seeded(y.shape, seed);
  return [y, ...tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), w)))(xs)];
}

Deno.test(
  `Conv2D, FusedConv2D (bias, relu) and both gradients on native (2 threads) match the cpu backend over strides 1-3, same/valid/explicit pads and maps down to 1x1${note}`,
  {
    ignore,
  },
  async () => {
    await compareWithCpu(
      convCases(false),
      (c, i) => {
        const x = seeded(c.x, i * 3 + 1) as tf.Tensor4D, f = seeded(c.f, i * 3 + 2) as tf.Tensor4D;
        const bias = seeded([c.f[3]], i * 3 + 4);
        return [
          ...withGrads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), [x, f], i + 100),
          tf.fused.conv2d({ x, filter: f, strides: c.s, pad: c.pad, bias, activation: "relu" }),
          tf.fused.conv2d({ x, filter: f, strides: c.s, pad: c.pad, bias, activation: "sigmoid" }),
        ];
      },
      1e-4,
      "native",
      2, // two OpenMP threads even where the suite runs with OMP_NUM_THREADS=1
    );
  },
);

Deno.test(
  `Depthwise conv and both gradients on native match the cpu backend, channel multiplier 1 and 2${note}`,
  {
    ignore,
  },
  async () => {
    await compareWithCpu(
      convCases(true),
      (c, i) => {
        const x = seeded(c.x, i * 3 + 1), f = seeded(c.f, i * 3 + 2);
        const pad = c.pad as "same" | "valid";
        return withGrads(
          (a, b) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, pad),
          [x, f],
          i + 200,
        );
      },
      1e-4,
      "native",
    );
  },
);

Deno.test(`Batch norm training forward and gradients on native match tf.moments + batchNorm on cpu${note}`, {
  ignore,
}, async () => {
  const shapes = [[3, 5, 5, 16], [2, 3, 3, 20], [7, 12], [2, 16, 16, 3]];
  await compareWithCpu(
    shapes,
    (shape, i, backend) => {
      const c = shape[shape.length - 1];
      const x = tf.add(tf.mul(seeded(shape, i * 4 + 1), 3), 0.7);
      const gamma = tf.add(seeded([c], i * 4 + 3), 1), beta = seeded([c], i * 4 + 4);
      const stock = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, a.shape.slice(0, -1).map((_, k) => k));
        return [tf.batchNorm(a, mean, variance, b, g, 1e-5), mean, variance];
      };
      if (backend === "native") assert.ok(batchNormTrainApplies(x));
      const bn = backend === "cpu"
        ? stock
        : (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTrain(a, g, b, 1e-5);
      const [y, mean, variance] = bn(x, gamma, beta);
      return [
        y,
        mean,
        variance,
        ...withGrads((a, g, b) => bn(a, g, b)[0], [x, gamma, beta], i + 300).slice(1),
      ];
    },
    1e-4,
    "native",
  );
});

Deno.test(
  `Relu, sigmoid, swish (and the one-op swish), sqrt, square, binary ops with broadcasting, Sum and Mean on native match cpu, values and gradients${note}`,
  {
    ignore,
  },
  async () => {
    const shapes = [[2, 16, 16, 24], [4, 9, 9, 64], [3, 5]];
    await compareWithCpu(
      shapes,
      (shape, i, backend) => {
        const x = seeded(shape, i * 5 + 1), y = seeded(shape, i * 5 + 2);
        if (backend === "native") assert.ok(swishApplies(x));
        const silu = backend === "native" ? swish : (a: tf.Tensor) => tf.mul(a, tf.sigmoid(a));
        const c = shape[shape.length - 1];
        const row = seeded([c], i * 5 + 3),
          se = seeded([
            shape[0],
            ...shape.slice(1, -1).map(() => 1),
            c,
          ], i * 5 + 4);
        const axes = shape.length === 4 ? [1, 2] : [0];
        return [
          ...withGrads((a) => tf.relu(a), [x], i + 400),
          ...withGrads((a) => tf.sigmoid(a), [x], i + 401),
          tf.sqrt(tf.abs(x)),
          tf.square(x),
          ...withGrads((a) => tf.mul(a, tf.sigmoid(a)), [x], i + 402),
          ...withGrads((a) => silu(tf.mul(a, 4)), [x], i + 408),
          ...withGrads((a, b) => tf.add(a, b), [x, y], i + 403),
          ...withGrads((a, b) => tf.sub(a, b), [x, row], i + 404),
          ...withGrads((a, b) => tf.mul(a, b), [se, x], i + 405),
          ...withGrads((a, b) => tf.div(a, tf.add(tf.abs(b), 1)), [x, row], i + 406),
          ...withGrads((a) => tf.mean(a, axes, true), [x], i + 407),
          tf.sum(x, axes),
          tf.sum(x),
        ];
      },
      1e-4,
      "native",
    );
  },
);

Deno.test(`Max and average pooling, ZeroPadding and Slice on native match cpu, values and gradients${note}`, {
  ignore,
}, async () => {
  const cases = [
    { x: [2, 12, 12, 8], k: 3, s: 2, pad: "same" },
    { x: [2, 11, 9, 5], k: 3, s: 2, pad: "valid" },
    { x: [3, 8, 8, 64], k: 2, s: 2, pad: "valid" },
    { x: [1, 7, 7, 3], k: 3, s: 1, pad: "same" },
  ] as const;
  await compareWithCpu(
    cases,
    (c, i) => {
      const x = seeded([...c.x], i + 500) as tf.Tensor4D;
      return [
        ...withGrads((a) => tf.maxPool(a as tf.Tensor4D, c.k, c.s, c.pad), [x], i + 501),
        ...withGrads((a) => tf.avgPool(a as tf.Tensor4D, c.k, c.s, c.pad), [x], i + 502),
        ...withGrads((a) => tf.pad(a, [[0, 0], [1, 2], [3, 0], [0, 0]]), [x], i + 503),
        ...withGrads((a) => tf.pad(a, [[1, 0], [0, 0], [0, 0], [2, 1]], 0.5), [x], i + 504),
        ...withGrads((a) => tf.slice(a, [0, 1, 0, 1], [-1, 3, -1, 2]), [x], i + 505),
      ];
    },
    1e-4,
    "native",
  );
});

Deno.test(`The native kernels ran on oneDNN, not on their cpu fallbacks${note}`, { ignore }, async () => {
  await compareWithCpu(
    [0],
    () => {
      const x = seeded([2, 32, 32, 8], 1) as tf.Tensor4D, f = seeded([3, 3, 8, 16], 2) as tf.Tensor4D;
      startProfile();
      const out = withGrads(
        (a, b) => tf.relu(tf.conv2d(tf.maxPool(a as tf.Tensor4D, 2, 2, "same"), b as tf.Tensor4D, 1, "same")),
        [x, f],
        3,
      );
      const profile = takeProfile();
      if (tf.getBackend() === "native") {
        for (
          const k of [
            tf.Conv2D,
            tf.Conv2DBackpropFilter,
            tf.Conv2DBackpropInput,
            tf.MaxPool,
            tf.MaxPoolGrad,
            tf.Relu,
          ]
        ) {
          assert.ok(profile[k]?.native > 0, `${k}: ${JSON.stringify(profile[k])}`);
        }
      }
      return out;
    },
    1e-4,
    "native",
  );
});
