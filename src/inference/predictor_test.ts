import { loadPredictor } from "../runs/load_predictor.ts";
import assert from "node:assert/strict";
import type { ClassPrediction } from "./predictor_types.ts";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { DataSchema } from "../data/data_schema.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { exportOnnx } from "../export/onnx_exporter.ts";
import { maxAbsDiff } from "../../testing/onnx_parity.ts";
import { buildTestCnn, buildTestMlp, randomTensor } from "../../testing/onnx_test_models.ts";
import { createMemoryLogger } from "../log.ts";
import type { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import type { ModelMeta, ModelVersion } from "../registry/registry_types.ts";

await useBackend("cpu");

const CLASSES = ["adelie", "chinstrap", "gentoo"];
const SCHEMA: DataSchema = {
  columns: [
    { name: "bill", type: "numeric", nullable: true, required: true },
    { name: "mass", type: "numeric", nullable: false, required: true },
    { name: "male", type: "boolean", nullable: true, required: false, categories: ["false", "true"] },
    { name: "island", type: "categorical", nullable: true, required: true, categories: ["biscoe", "dream"] },
    { name: "size", type: "categorical", nullable: true, required: true, categories: ["l", "m", "s"] },
  ],
  label: "species",
  classes: CLASSES,
};
const PRE: PreprocessorState = {
  version: 1,
  numeric: [
    { name: "bill", kind: "numeric", fill: 44, mean: 43.9, std: 5.4 },
    { name: "mass", kind: "numeric", fill: 4200, mean: 4201, std: 801 },
    { name: "male", kind: "boolean", fill: 1, mean: 0.5, std: 0.5 },
  ],
  categorical: [
    { name: "island", encoding: "onehot", categories: ["biscoe", "dream"], fill: "dream", unknown: "ignore" },
    { name: "size", encoding: "label", categories: ["l", "m", "s"], fill: "m", unknown: "error" },
  ],
  featureCount: 6,
  featureNames: ["bill", "mass", "male", "island=biscoe", "island=dream", "size"],
};

const net = buildTestMlp({ inputs: 6, hidden: [8], classes: 3, seed: 7 });
const tempDirs: string[] = [];
globalThis.addEventListener("unload", () => tempDirs.forEach((d) => Deno.removeSync(d, { recursive: true })));

async function writeVersion(
  {
    onnx = "preprocessed" as "preprocessed" | "plain" | "none" | Uint8Array,
    task = "tabular" as ModelMeta["task"],
  } = {},
): Promise<ModelVersion> {
  const dir = await Deno.makeTempDir({ prefix: "mmml_predictor_" });
  tempDirs.push(dir);
  const write = (name: string, value: unknown) => Deno.writeTextFile(join(dir, name), JSON.stringify(value));
  await write("classes.json", CLASSES);
  await write("schema.json", SCHEMA);
  await write("preprocessor.json", PRE);
  if (onnx instanceof Uint8Array) {
    await Deno.writeFile(join(dir, "model.onnx"), onnx);
  } else if (onnx !== "none") {
    const preprocessor = onnx === "preprocessed" ? PRE : undefined;
    await Deno.writeFile(
      join(dir, "model.onnx"),
      exportOnnx(net, { inputShape: [6], preprocessor, classes: CLASSES }),
    );
  }
  const meta: ModelMeta = {
    name: "penguins",
    version: 3,
    task,
    arch: "mlp",
    created: "2026-01-01T00:00:00Z",
    backend: "cpu",
    classes: CLASSES,
    metrics: {},
    timings: {},
    data_fingerprint: "x",
    input_shape: [6],
    stages: [],
    tags: [],
    files: {},
  };
  return { meta, dir };
}

/** The feature vectors the preprocessing would give, computed by hand from PRE. */
function expectedProbabilities(features: number[][]): Float32Array {
  return tf.tidy(() => (net.predict(tf.tensor2d(features)) as tf.Tensor).dataSync() as Float32Array);
}

const ROWS = [
  { bill: 39.1, mass: 3750, male: true, island: "biscoe", size: "s" },
  { bill: null, mass: "4000", male: "no", island: "dream", size: null, species: "adelie" },
  { bill: "47.5", mass: 5000, island: "atlantis", size: "l" },
  { bill: "NA", mass: 3300.5, male: 1, island: null, size: "m" },
];
const s = (v: number, i: number) => (v - PRE.numeric[i].mean) / PRE.numeric[i].std;
const FEATURES = [
  [s(39.1, 0), s(3750, 1), s(1, 2), 1, 0, 2],
  [s(44, 0), s(4000, 1), s(0, 2), 0, 1, 1],
  [s(47.5, 0), s(5000, 1), s(1, 2), 0, 0, 0],
  [s(44, 0), s(3300.5, 1), s(1, 2), 0, 1, 1],
];

Deno.test("Predictor predicts a batch of rows like the tfjs model on preprocessed features", async (t) => {
  for (const onnx of ["preprocessed", "plain"] as const) {
    await t.step(`${onnx} graph`, async () => {
      const logger = createMemoryLogger();
      const p = await loadPredictor(await writeVersion({ onnx }), { providers: ["cpu"], logger });
      assert.equal(p.provider, "cpu");
      assert.ok(p.loadSeconds > 0);
      const preds = await p.predictRows(ROWS) as ClassPrediction[];
      const expected = expectedProbabilities(FEATURES);
      const got = preds.flatMap((r) => CLASSES.map((c) => r.probabilities[c]));
      assert.ok(maxAbsDiff(expected, got) < 1e-5, `diff ${maxAbsDiff(expected, got)}`);
      preds.forEach((r, i) => {
        const row = expected.slice(i * 3, i * 3 + 3);
        assert.equal(r.label, CLASSES[row.indexOf(Math.max(...row))]);
      });
      await p.close();
      assert.ok(logger.lines.some((l) => l.includes('"model loaded"') && l.includes('"provider":"cpu"')));
    });
  }
});

Deno.test("Predictor runs thousands of rows in one call", async () => {
  const p = await loadPredictor(await writeVersion(), { providers: ["cpu"] });
  const rows = Array.from({ length: 5000 }, (_, i) => ({ ...ROWS[i % 4] }));
  const preds = await p.predictRows(rows);
  assert.equal(preds.length, 5000);
  assert.deepEqual(preds[4999], (await p.predictRows([ROWS[3]]))[0]);
  await p.close();
});

Deno.test("Predictor rejects bad rows with messages naming the row, column and value", async (t) => {
  const p = await loadPredictor(await writeVersion(), { providers: ["cpu"] });
  const ok = ROWS[0];
  // Columns the model does not read are ignored (and named), not refused.
  assert.deepEqual(p.extraColumns([ok, { ...ok, beak: 1 }]), ["beak"]);
  assert.equal((await p.predictRows([ok, { ...ok, beak: 1 }])).length, 2);
  const cases: [string, unknown[], RegExp][] = [
    [
      "missing required column",
      [{ bill: 1, mass: 2, island: "dream" }],
      /row 0: missing required column "size"/,
    ],
    [
      "wrong type",
      [ok, ok, { ...ok, bill: "long" }],
      /row 2, column "bill": expected a number.*received "long"/,
    ],
    ["object cell", [{ ...ok, mass: { v: 1 } }], /row 0, column "mass": expected a number, received object/],
    ["bad boolean", [{ ...ok, male: "maybe" }], /row 0, column "male": expected a boolean.*received "maybe"/],
    ["null in non-nullable", [{ ...ok, mass: null }], /row 0, column "mass": .*not nullable.*received null/],
    ["unknown category (error)", [{ ...ok, size: "xl" }], /row 0, column "size": .*l, m, s.*received "xl"/],
    ["not an object", [[1, 2]], /row 0: expected an object/],
    ["beyond float32", [{ ...ok, bill: 1e300 }], /row 0, column "bill": .*float32.*received 1e\+300/],
  ];
  for (const [name, rows, pattern] of cases) {
    await t.step(name, async () => {
      await assert.rejects(
        p.predictRows(rows as Record<string, unknown>[]),
        (e) => e instanceof MmmlError && e.code === "validation_failed" && pattern.test(e.message),
      );
    });
  }
  await p.close();
});

Deno.test("Predictor infer checks tensor names, datatypes and shapes and matches predictRows", async (t) => {
  const p = await loadPredictor(await writeVersion(), { providers: ["cpu"] });
  assert.deepEqual(p.inputs(), [
    { name: "numeric", datatype: "FP32", shape: [-1, 3] },
    { name: "categorical", datatype: "FP32", shape: [-1, 3] },
  ]);
  assert.deepEqual(p.outputs(), [{ name: "probabilities", datatype: "FP32", shape: [-1, 3] }]);
  const numeric = { name: "numeric", datatype: "FP32" as const, shape: [1, 3], data: [39.1, 3750, 1] };
  const categorical = { name: "categorical", datatype: "FP32" as const, shape: [1, 3], data: [1, 0, 2] };
  const [out] = await p.infer([numeric, categorical]);
  assert.equal(out.name, "probabilities");
  assert.deepEqual(out.shape, [1, 3]);
  const [row] = await p.predictRows([ROWS[0]]) as ClassPrediction[];
  assert.ok(maxAbsDiff(Array.from(out.data as number[]), CLASSES.map((c) => row.probabilities[c])) < 1e-6);
  const cases: [string, unknown[], RegExp][] = [
    ["unknown name", [numeric, categorical, { ...numeric, name: "extra" }], /unknown input tensor "extra"/],
    ["missing input", [numeric], /missing input tensor "categorical"/],
    [
      "wrong datatype",
      [{ ...numeric, datatype: "INT64" }, categorical],
      /"numeric": expected datatype FP32, received INT64/,
    ],
    [
      "wrong shape",
      [{ ...numeric, shape: [3, 1] }, categorical],
      /"numeric": expected shape \[N, 3\], received \[3, 1\]/,
    ],
    [
      "wrong length",
      [{ ...numeric, data: [1, 2] }, categorical],
      /"numeric": shape \[1, 3\] needs 3 values, received 2/,
    ],
    [
      "batch mismatch",
      [numeric, { ...categorical, shape: [2, 3], data: [0, 0, 0, 0, 0, 0] }],
      /batch size 2 differs/,
    ],
    ["non-number", [{ ...numeric, data: [1, "x", 2] }, categorical], /"numeric": element 1 is not a number/],
    [
      "beyond float32",
      [{ ...numeric, data: [1, 1e39, 2] }, categorical],
      /element 1 is outside float32 range/,
    ],
  ];
  for (const [name, inputs, pattern] of cases) {
    await t.step(name, async () => {
      await assert.rejects(
        p.infer(inputs as never),
        (e) => e instanceof MmmlError && e.code === "validation_failed" && pattern.test(e.message),
      );
    });
  }
  await p.close();
});

Deno.test("Predictor refuses images for a tabular model, and calls after close", async () => {
  const p = await loadPredictor(await writeVersion(), { providers: ["cpu"] });
  await assert.rejects(
    p.predictImages([new Uint8Array(4)]),
    (e) => e instanceof MmmlError && e.code === "unsupported",
  );
  await p.close();
  await assert.rejects(p.predictRows([ROWS[0]]), (e) => e instanceof MmmlError && e.code === "not_ready");
});

Deno.test("Predictor without model.onnx names the file, or exports through the given hook", async () => {
  const version = await writeVersion({ onnx: "none" });
  await assert.rejects(
    loadPredictor(version, { providers: ["cpu"] }),
    (e) =>
      e instanceof MmmlError && e.code === "artifact_corrupt" &&
      /model\.onnx is missing.*mmml export/.test(e.message),
  );
  let calls = 0;
  const p = await loadPredictor(version, {
    providers: ["cpu"],
    exportMissing: () => {
      calls++;
      return Promise.resolve(exportOnnx(net, { inputShape: [6], preprocessor: PRE }));
    },
  });
  assert.equal(calls, 1);
  assert.equal((await p.predictRows(ROWS)).length, 4);
  await p.close();
});

Deno.test("Predictor reports a corrupt artifact by file and field", async () => {
  const version = await writeVersion();
  await Deno.writeTextFile(join(version.dir, "schema.json"), JSON.stringify({ ...SCHEMA, classes: "abc" }));
  await assert.rejects(
    loadPredictor(version, { providers: ["cpu"] }),
    (e) => e instanceof MmmlError && e.code === "artifact_corrupt" && /schema\.json: classes/.test(e.message),
  );
});

Deno.test("Predictor serves an image model's NHWC input through infer", async () => {
  const cnn = buildTestCnn({ size: 9, channels: 3, classes: 3 });
  const version = await writeVersion({ onnx: exportOnnx(cnn, { inputShape: [9, 9, 3] }), task: "image" });
  const pre = { version: 1, size: 9, channels: 3, mean: [0.5], std: [0.25] };
  await Deno.writeTextFile(join(version.dir, "image_preprocessing.json"), JSON.stringify(pre));
  const p = await loadPredictor(version, { providers: ["cpu"] });
  assert.deepEqual(p.inputs(), [{ name: "input", datatype: "FP32", shape: [-1, 9, 9, 3] }]);
  const x = randomTensor([2, 9, 9, 3], 5);
  const [out] = await p.infer([{
    name: "input",
    datatype: "FP32",
    shape: [2, 9, 9, 3],
    data: Array.from(x.dataSync()),
  }]);
  const expected = tf.tidy(() => (cnn.predict(x) as tf.Tensor).dataSync());
  assert.ok(maxAbsDiff(expected, out.data as number[]) < 1e-4);
  await assert.rejects(p.predictRows([ROWS[0]]), (e) => e instanceof MmmlError && e.code === "unsupported");
  await p.close();
  x.dispose();
  cnn.dispose();
});
