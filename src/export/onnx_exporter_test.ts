import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import onnx from "onnx-proto";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { createOnnxSession } from "../inference/onnx_session.ts";
import type { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import { createRng } from "../random.ts";
import { exportOnnx, ONNX_NAMES } from "./onnx_exporter.ts";
import { maxAbsDiff, onnxParity } from "../../testing/onnx_parity.ts";
import type { LayerCall } from "./onnx_layer_call.ts";
import { buildTestMlp, randomizeWeights, randomTensor } from "../../testing/onnx_test_models.ts";

await useBackend("cpu");

const TOL = 1e-4;

Deno.test("exportOnnx MLP (dense-relu-dropout, softmax) matches tfjs within 1e-4", async () => {
  const net = buildTestMlp({ inputs: 7, hidden: [16, 8], classes: 3 });
  const x = randomTensor([32, 7], 11);
  const before = tf.memory().numTensors;
  const r = await onnxParity(net, x);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(r.shape, [32, 3]);
  assert.ok(r.maxAbsDiff < TOL, `max abs diff ${r.maxAbsDiff}`);
  // Non-trivial outputs: the comparison would catch a wrong weight layout.
  assert.ok(Math.max(...r.tfjs) - Math.min(...r.tfjs) > 0.2);
  x.dispose();
  net.dispose();
});

Deno.test("exportOnnx MLP with batch norm matches tfjs for every activation", async (t) => {
  for (
    const activation of ["relu", "gelu", "selu", "elu", "swish", "tanh", "sigmoid", "linear", "softplus"]
  ) {
    await t.step(activation, async () => {
      const net = buildTestMlp({
        inputs: 5,
        hidden: [12, 6],
        classes: 4,
        activation,
        batchNorm: true,
        seed: 3,
      });
      const x = randomTensor([16, 5], 12);
      const r = await onnxParity(net, x);
      assert.ok(r.maxAbsDiff < TOL, `${activation}: max abs diff ${r.maxAbsDiff}`);
      x.dispose();
      net.dispose();
    });
  }
});

Deno.test("exportOnnx folds imputation and scaling into the graph for tabular models", async () => {
  // 3 numeric (one boolean) + one-hot of 3 + label-encoded column = 7 features.
  const pre: PreprocessorState = {
    version: 1,
    numeric: [
      { name: "a", kind: "numeric", fill: 2.5, mean: 1.5, std: 2 },
      { name: "b", kind: "numeric", fill: -1, mean: 0.25, std: 0.5 },
      { name: "flag", kind: "boolean", fill: 1, mean: 0.4, std: 0.49 },
    ],
    categorical: [
      { name: "island", encoding: "onehot", categories: ["A", "B", "C"], fill: "A", unknown: "ignore" },
      { name: "size", encoding: "label", categories: ["l", "m", "s"], fill: "m", unknown: "ignore" },
    ],
    featureCount: 7,
    featureNames: ["a", "b", "flag", "island=A", "island=B", "island=C", "size"],
  };
  const net = buildTestMlp({ inputs: 7, hidden: [10], classes: 3, seed: 5 });
  const rng = createRng(9);
  const n = 20;
  const numeric = new Float32Array(n * 3),
    categorical = new Float32Array(n * 4),
    features = new Float32Array(n * 7);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) {
      const raw = j === 2 ? rng.int(2) : rng.normal() * 3;
      const missing = (i + j) % 4 === 0;
      numeric[i * 3 + j] = missing ? NaN : raw;
      const p = pre.numeric[j];
      features[i * 7 + j] = ((missing ? p.fill : raw) - p.mean) / p.std;
    }
    const cat = [0, 0, 0, rng.int(3)];
    cat[rng.int(3)] = 1;
    categorical.set(cat, i * 4);
    features.set(cat, i * 7 + 3);
  }
  const bytes = exportOnnx(net, {
    preprocessor: pre,
    inputShape: [7],
    name: "tab",
    classes: ["x", "y", "z"],
  });
  const expected = tf.tidy(() => (net.predict(tf.tensor2d(features, [n, 7])) as tf.Tensor).dataSync());
  const { session } = await createOnnxSession(bytes, { providers: ["cpu"] });
  assert.deepEqual(session.inputs.map((i) => [i.name, i.shape]), [["numeric", [-1, 3]], ["categorical", [
    -1,
    4,
  ]]]);
  const out = await session.run({
    numeric: { type: "float32", data: numeric, dims: [n, 3] },
    categorical: { type: "float32", data: categorical, dims: [n, 4] },
  });
  await session.close();
  const diff = maxAbsDiff(expected, out[ONNX_NAMES.output].data as Float32Array);
  assert.ok(diff < TOL, `max abs diff ${diff}`);
  net.dispose();
});

Deno.test("exportOnnx omits the categorical input when there are no categorical columns", async () => {
  const pre: PreprocessorState = {
    version: 1,
    numeric: [{ name: "a", kind: "numeric", fill: 0, mean: 0, std: 1 }, {
      name: "b",
      kind: "numeric",
      fill: 0,
      mean: 0,
      std: 1,
    }],
    categorical: [],
    featureCount: 2,
    featureNames: ["a", "b"],
  };
  const net = buildTestMlp({ inputs: 2, hidden: [4], classes: 2 });
  const { session } = await createOnnxSession(exportOnnx(net, { preprocessor: pre, inputShape: [2] }), {
    providers: ["cpu"],
  });
  assert.deepEqual(session.inputs.map((i) => i.name), ["numeric"]);
  await session.close();
  net.dispose();
});

Deno.test("exportOnnx writes a symbolic batch dimension and mmml metadata", () => {
  const net = buildTestMlp({ inputs: 4, hidden: [3], classes: 2 });
  const bytes = exportOnnx(net, { inputShape: [4], name: "iris", classes: ["no", "yes"] });
  const model = onnx.onnx.ModelProto.decode(bytes);
  assert.equal(Number(model.opsetImport[0].version), 17);
  const dims = model.graph!.input![0].type!.tensorType!.shape!.dim!;
  assert.equal(dims[0].dimParam, "N");
  assert.equal(Number(dims[1].dimValue), 4);
  assert.equal(model.graph!.output![0].name, "probabilities");
  const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
  assert.equal(meta["mmml.name"], "iris");
  assert.deepEqual(JSON.parse(meta["mmml.classes"]), ["no", "yes"]);
  net.dispose();
});

Deno.test("exportOnnx refuses an unknown layer, naming the layer and its class", () => {
  const net = tf.sequential({
    layers: [
      tf.layers.dense({ units: 4, inputShape: [3] }),
      tf.layers.layerNormalization({ name: "norm_1" }),
    ],
  });
  assert.throws(
    () => exportOnnx(net, { inputShape: [3] }),
    (e) =>
      e instanceof MmmlError && e.code === "unsupported" && /"norm_1"/.test(e.message) &&
      /LayerNormalization/.test(e.message),
  );
  net.dispose();
});

Deno.test("exportOnnx takes converters for custom layer classes", async () => {
  // A custom layer: tfjs computes 2x; its converter emits the same.
  class Double extends tf.layers.Layer {
    static className = "Double";
    override call(x: tf.Tensor | tf.Tensor[]) {
      return tf.tidy(() => tf.mul(Array.isArray(x) ? x[0] : x, 2));
    }
  }
  const net = tf.sequential({
    layers: [
      tf.layers.dense({ units: 4, inputShape: [3] }),
      new Double({ name: "double_1" }),
      tf.layers.softmax(),
    ],
  });
  randomizeWeights(net, 3);
  assert.throws(() => exportOnnx(net, { inputShape: [3] }), /"double_1" \(Double\)/);
  const converters = {
    Double: ({ g, inputs: [x], layer }: LayerCall) => ({
      ...x,
      name: g.node("Mul", [x.name, g.floats(`${layer.name}_two`, [2], [])], layer.name),
    }),
  };
  const { session } = await createOnnxSession(exportOnnx(net, { inputShape: [3], converters }), {
    providers: ["cpu"],
  });
  const x = randomTensor([5, 3], 4);
  const out = await session.run({
    input: { type: "float32", data: x.dataSync() as Float32Array, dims: [5, 3] },
  });
  await session.close();
  const expected = tf.tidy(() => (net.predict(x) as tf.Tensor).dataSync());
  assert.ok(maxAbsDiff(expected, out.probabilities.data as Float32Array) < TOL);
  x.dispose();
  net.dispose();
});

Deno.test("exportOnnx reports an input shape that does not match the model", () => {
  const net = buildTestMlp({ inputs: 4, hidden: [3], classes: 2 });
  assert.throws(
    () => exportOnnx(net, { inputShape: [5] }),
    (e) =>
      e instanceof MmmlError && e.code === "schema_mismatch" && /\[4\]/.test(e.message) &&
      /\[5\]/.test(e.message),
  );
  net.dispose();
});
