import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../random.ts";
import { useBackend } from "./backend.ts";
import { inputGradByConv } from "./kernels/conv2d_backprop_input.ts";
import { inputGradByMatMul } from "./kernels/conv_input_grad_matmul.ts";
import { wasmBackend, WasmCalls } from "./kernels/wasm_calls.ts";
import { registerWasmKernels } from "./wasm_kernels.ts";

type Pad = "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];
type Backend = "cpu" | "wasm";
type Shape4 = [number, number, number, number];

const EXPLICIT: Pad = [[0, 0], [1, 2], [0, 1], [0, 0]];

function seeded(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  return tf.tensor(
    Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.next() - 0.5),
    shape,
  );
}

/** Largest |a - b| over the largest |a|: one number per output, robust to outputs near zero. */
function relativeError(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let scale = 0, err = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    err = Math.max(err, Math.abs(expected[i] - actual[i]));
  }
  return err / Math.max(scale, 1e-12);
}

/** Runs `compute` on the cpu backend, then on wasm with mmml's kernels, and compares every output. */
async function compareWithCpu<C>(
  cases: readonly C[],
  compute: (c: C, i: number, backend: Backend) => tf.Tensor[],
  tolerance = 1e-4,
) {
  const run = async (backend: Backend) => {
    await useBackend(backend);
    if (backend === "wasm") registerWasmKernels();
    const before = tf.memory().numTensors, buffers = tf.backend().numDataIds();
    const values = cases.map((c, i) =>
      tf.tidy(() => compute(c, i, backend)).map((t) => {
        const v = t.dataSync().slice();
        t.dispose();
        return v;
      })
    );
    assert.equal(tf.memory().numTensors, before, `${backend} leaked tensors`);
    assert.equal(tf.backend().numDataIds(), buffers, `${backend} leaked buffers`); // kernel temporaries
    return values;
  };
  const expected = await run("cpu");
  const actual = await run("wasm");
  cases.forEach((c, i) =>
    expected[i].forEach((e, j) => {
      const err = relativeError(e, actual[i][j]);
      assert.ok(err <= tolerance, `case ${JSON.stringify(c)} output ${j}: relative error ${err}`);
    })
  );
}

/** [kernel size, [height, width], input channels, output channels] */
const CONV_SHAPES = [
  [1, [6, 7], 3, 4],
  [1, [5, 6], 6, 2], // more input than output channels
  [3, [7, 8], 3, 4],
  [3, [8, 8], 3, 4],
  [5, [9, 6], 3, 4],
  [3, [1, 1], 3, 4], // maps so small that some taps only ever read padding
  [3, [2, 3], 3, 4],
  [5, [2, 2], 3, 4],
] as const;

function convCases(depthwise: boolean) {
  const cases: { x: number[]; f: number[]; s: number; pad: Pad }[] = [];
  const strides = depthwise ? [1, 2] : [1, 2, 3];
  const pads: Pad[] = depthwise ? ["same", "valid"] : ["same", "valid", EXPLICIT];
  for (const s of strides) {
    for (const pad of pads) {
      for (const [k, hw, cin, cout] of CONV_SHAPES) {
        if (depthwise && (k === 1 || cin !== 3)) continue;
        const kw = k === 1 ? 1 : k - 1 + (s % 2); // non-square filters too
        const x = [2, hw[0], hw[1], cin], f = [k, kw, cin, depthwise ? 1 + (s % 2) : cout];
        const out = tf.backend_util.computeConv2DInfo(x as Shape4, f as Shape4, s, 1, pad);
        if (out.outHeight > 0 && out.outWidth > 0) cases.push({ x, f, s, pad });
      }
    }
  }
  return cases;
}

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

Deno.test("Conv2D input and filter gradients on wasm match the cpu backend over strides 1-3 and same/valid/explicit pads", async () => {
  await compareWithCpu(convCases(false), (c, i) => {
    const x = seeded(c.x, i * 3 + 1), f = seeded(c.f, i * 3 + 2);
    const y = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad);
    const dy = seeded(y.shape, i * 3 + 3);
    const attrs = { strides: [c.s, c.s], pad: c.pad, dataFormat: "NHWC" };
    return [
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: c.f }) as tf.Tensor,
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: f }, {
        ...attrs,
        inputShape: c.x,
      }) as tf.Tensor,
    ];
  });
});

Deno.test("conv2dTranspose on wasm matches the cpu backend and rejects an output shape no convolution maps back", async () => {
  const cases = [
    { x: [2, 4, 4, 3], out: [2, 8, 8, 5], s: 2, pad: "same" },
    { x: [2, 4, 4, 3], out: [2, 9, 9, 5], s: 2, pad: "valid" },
  ] as const;
  await compareWithCpu(cases, (c, i) => {
    const x = seeded([...c.x], i + 60) as tf.Tensor4D, f = seeded([3, 3, 5, 3], i + 61) as tf.Tensor4D;
    return [tf.conv2dTranspose(x, f, [...c.out], c.s, c.pad)];
  });
  // 'same' maps 5x5 to 5x5, not to 4x4: the built-in wasm loop read past dy and returned NaNs here.
  const x = tf.ones([1, 4, 4, 3]) as tf.Tensor4D, f = tf.ones([3, 3, 5, 3]) as tf.Tensor4D;
  assert.throws(
    () => tf.conv2dTranspose(x, f, [1, 5, 5, 5], 1, "same"),
    /expected the forward output \[1,5,5,3\]/,
  );
  tf.dispose([x, f]);
});

Deno.test("Both forms of the Conv2D input gradient match the cpu backend, also with the batch split in slices", async () => {
  const forms = ["conv", "matmul", "matmul in slices"] as const;
  const cases = convCases(false).flatMap((c) => forms.map((form) => ({ ...c, form })));
  await compareWithCpu(cases, (c, i, backend) => {
    const f = seeded(c.f, i * 3 + 2);
    const info = tf.backend_util.computeConv2DInfo(c.x as Shape4, c.f as Shape4, c.s, 1, c.pad);
    const dy = seeded([c.x[0], info.outHeight, info.outWidth, c.f[3]], i * 3 + 3);
    const attrs = { strides: [c.s, c.s], pad: c.pad, dataFormat: "NHWC", inputShape: c.x };
    if (backend === "cpu") {
      return [tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: f }, attrs) as tf.Tensor];
    }
    const ops = new WasmCalls(wasmBackend(tf.backend()));
    try {
      const matMul = tf.getKernel(tf.BatchMatMul, "wasm")!;
      const dx = c.form === "conv"
        ? inputGradByConv(ops, dy, f, info)
        : inputGradByMatMul(ops, dy, f, info, matMul, { maxCols: c.form === "matmul" ? undefined : 1 });
      return [tf.tensor(ops.heap(dx).slice(), c.x)];
    } finally {
      ops.dispose();
    }
  });
});

Deno.test("Depthwise conv input and filter gradients on wasm match the cpu backend, channel multiplier 1 and 2", async () => {
  await compareWithCpu(convCases(true), (c, i) => {
    const x = seeded(c.x, i * 3 + 1), f = seeded(c.f, i * 3 + 2);
    const y = tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad as "same" | "valid");
    const dy = seeded(y.shape, i * 3 + 3);
    const attrs = { strides: [c.s, c.s], pad: c.pad, dilations: [1, 1] };
    return [
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, {
        ...attrs,
        filterShape: c.f,
      }) as tf.Tensor,
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: f }, {
        ...attrs,
        inputShape: c.x,
      }) as tf.Tensor,
    ];
  });
});

Deno.test("BatchMatMul and _FusedMatMul on wasm match the cpu backend: transposed, batched, shared and with a bias", async () => {
  const cases = [];
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    for (
      const [batchA, batchB, m, k, n] of [
        [[], [], 5, 7, 3],
        [[2], [2], 4, 6, 5],
        [[3], [3], 1, 8, 9],
        [[2, 2], [2, 2], 3, 4, 2],
        [[3], [1], 4, 5, 6], // shared right-hand matrix
        [[1], [3], 4, 5, 6],
        [[2], [2], 40, 30, 50], // big enough to go item by item
      ] as const
    ) cases.push({ ta, tb, batchA: [...batchA], batchB: [...batchB], m, k, n });
  }
  await compareWithCpu(cases, (c, i) => {
    const a = seeded([...c.batchA, ...(c.ta ? [c.k, c.m] : [c.m, c.k])], i * 4 + 1);
    const b = seeded([...c.batchB, ...(c.tb ? [c.n, c.k] : [c.k, c.n])], i * 4 + 2);
    const bias = seeded([c.n], i * 4 + 3);
    const alpha = seeded([c.n], i * 4 + 4);
    const a3 = tf.reshape(a, [-1, ...a.shape.slice(-2)]), b3 = tf.reshape(b, [-1, ...b.shape.slice(-2)]);
    const fused = { a: a3, b: b3, transposeA: c.ta, transposeB: c.tb };
    return [
      tf.matMul(a, b, c.ta, c.tb),
      tf.fused.matMul({ ...fused, bias, activation: "relu" }), // batched + bias: a built-in bug on wasm
      tf.fused.matMul({ ...fused, bias, activation: "prelu", preluActivationWeights: alpha }),
      tf.fused.matMul({ ...fused, activation: "sigmoid" }),
    ];
  });
});

Deno.test("Tile on wasm matches the cpu backend for float, int and bool tensors", async () => {
  const cases = [
    { shape: [1, 1, 1, 5], reps: [2, 3, 4, 1], dtype: "float32" },
    { shape: [2, 3], reps: [3, 2], dtype: "float32" },
    { shape: [3, 1, 2], reps: [1, 4, 3], dtype: "int32" },
    { shape: [4], reps: [3], dtype: "bool" },
    { shape: [2, 2], reps: [1, 1], dtype: "float32" },
    { shape: [2, 3], reps: [0, 2], dtype: "float32" },
  ] as const;
  await compareWithCpu(cases, (c, i) => {
    const values = tf.mul(seeded([...c.shape], i + 40), 10);
    // wasm's own float->bool Cast keeps bytes like 254, so booleans come from a comparison.
    const x = c.dtype === "bool" ? tf.greater(values, 0) : tf.cast(values, c.dtype);
    return [tf.cast(tf.tile(x, [...c.reps]), "float32")];
  }, 0);
});

Deno.test("Sum and Mean on wasm match the cpu backend over leading, middle, trailing and scattered axes", async () => {
  const cases = [
    { shape: [4, 5, 6, 16], axis: [0, 1, 2] }, // batch norm's per-channel sums
    { shape: [4, 5, 6, 16], axis: [1, 2] }, // global average pooling
    { shape: [4, 5, 6, 16], axis: [0] },
    { shape: [4, 5, 6, 16], axis: [3] },
    { shape: [4, 5, 6, 16], axis: [0, 2] },
    { shape: [7, 9], axis: [0] },
    { shape: [3, 4], axis: [0, 1] },
  ];
  await compareWithCpu(cases, (c, i) => {
    const x = seeded(c.shape, i + 50);
    return [tf.sum(x, c.axis), tf.mean(x, c.axis, true), tf.sum(tf.cast(tf.mul(x, 10), "int32"), c.axis)];
  }, 1e-5);
});

Deno.test("MaxPool's gradient on wasm matches the cpu backend, ties and padding included", async () => {
  const cases = [
    { shape: [2, 7, 8, 3], size: 3, s: 2, pad: "same" },
    { shape: [2, 8, 8, 5], size: 2, s: 2, pad: "valid" },
    { shape: [2, 6, 7, 4], size: 3, s: 1, pad: "same" },
    { shape: [1, 5, 5, 2], size: 3, s: 2, pad: "valid", ties: true },
  ] as const;
  await compareWithCpu(cases, (c, i) => {
    const values = seeded([...c.shape], i + 70);
    const x = ("ties" in c ? tf.round(tf.mul(values, 2)) : values) as tf.Tensor4D; // repeated maxima
    const grad = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, c.size, c.s, c.pad), 3))
    );
    return [grad(x)];
  });
});

Deno.test("UnsortedSegmentSum on wasm matches the cpu backend, drops out-of-range ids and backs gather's gradient", async () => {
  const cases = [{ rows: 7, inner: [3], segments: 4 }, { rows: 5, inner: [2, 3], segments: 6 }, {
    rows: 9,
    inner: [],
    segments: 3,
  }];
  await compareWithCpu(cases, (c, i) => {
    const rng = createRng(i + 10);
    const ids = tf.tensor1d(Array.from({ length: c.rows }, () => rng.int(c.segments + 2) - 1), "int32");
    const x = seeded([c.rows, ...c.inner], i + 20);
    const table = seeded([c.segments, 4], i + 30);
    const rows = tf.tensor1d(Array.from({ length: c.rows }, () => rng.int(c.segments)), "int32");
    const gatherGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, rows), 2)));
    return [tf.unsortedSegmentSum(x, ids, c.segments), gatherGrad(table)];
  });
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
