import { loadPredictor } from "./load_predictor.ts";
import assert from "node:assert/strict";
import type { ClassPrediction } from "../inference/predictor_types.ts";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { MlpConfig, PreprocessingConfig } from "../config/schema.ts";
import type { DataSchema } from "../data/data_schema.ts";
import type { RawTable } from "../data/table.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { buildModel } from "../models/architectures.ts";
import { saveModel } from "../models/model_io.ts";
import { fitPreprocessor, transformRows } from "../preprocess/tabular_preprocessor.ts";
import type { ModelMeta, ModelVersion } from "../registry/registry_types.ts";
import { createRng } from "../random.ts";
import { exportVersion } from "./export.ts";
import { maxAbsDiff, onnxParity } from "../../testing/onnx_parity.ts";
import { randomizeWeights, randomTensor } from "../../testing/onnx_test_models.ts";

await useBackend("cpu");

Deno.test("The project's MLP matches tfjs on ONNX Runtime for every activation, with and without batch norm", async (t) => {
  for (const activation of MlpConfig.shape.activation.unwrap().options) {
    for (const batch_norm of [false, true]) {
      await t.step(`${activation}${batch_norm ? " + batch norm" : ""}`, async () => {
        const config = MlpConfig.parse({ arch: "mlp", hidden: [16, 8], activation, batch_norm });
        const model = buildModel(config, { inputShape: [6], numClasses: 3, seed: 4 });
        randomizeWeights(model.net, 8);
        const x = randomTensor([16, 6], 9);
        const r = await onnxParity(model.net, x);
        assert.ok(r.maxAbsDiff < 1e-4, `max abs diff ${r.maxAbsDiff}`);
        x.dispose();
        model.net.dispose();
      });
    }
  }
});

const CLASSES = ["a", "b", "c"];
const SCHEMA: DataSchema = {
  columns: [
    { name: "x1", type: "numeric", nullable: true, required: true },
    { name: "x2", type: "numeric", nullable: true, required: true },
    { name: "ok", type: "boolean", nullable: true, required: true },
    { name: "colour", type: "categorical", nullable: true, required: true },
    { name: "size", type: "categorical", nullable: true, required: true },
  ],
  label: "y",
  classes: CLASSES,
};

/** Seeded raw rows, with missing cells in every column. */
function rawRows(n: number, seed: number): Record<string, string | null>[] {
  const rng = createRng(seed);
  const maybe = (v: string) => rng.next() < 0.15 ? null : v;
  return Array.from({ length: n }, () => ({
    x1: maybe((rng.normal() * 10 + 50).toFixed(2)),
    x2: maybe(rng.normal().toFixed(3)),
    ok: maybe(rng.next() < 0.5 ? "yes" : "no"),
    colour: maybe(["red", "green", "blue"][rng.int(3)]),
    size: maybe(["s", "m", "l", "xl"][rng.int(4)]),
  }));
}

function tableOf(rows: Record<string, string | null>[]): RawTable {
  const header = Object.keys(rows[0]);
  return {
    file: "train.csv",
    header,
    columns: new Map(header.map((h) => [h, rows.map((r) => r[h])])),
    rowCount: rows.length,
    lines: rows.map((_, i) => i + 2),
  };
}

Deno.test("exportVersion: served predictions equal tfjs on the training preprocessing", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_export_version_" });
  try {
    const prep = PreprocessingConfig.parse({ categorical: { encoding: "onehot" } });
    const state = fitPreprocessor(tableOf(rawRows(200, 1)), SCHEMA, prep);
    // One label-encoded column too, as a config may ask for.
    state.categorical[1] = { ...state.categorical[1], encoding: "label" };
    state.featureNames = [
      ...state.numeric.map((f) => f.name),
      ...state.categorical[0].categories.map((c) => `colour=${c}`),
      "size",
    ];
    state.featureCount = state.featureNames.length;
    const model = buildModel(MlpConfig.parse({ arch: "mlp", hidden: [12], batch_norm: true }), {
      inputShape: [state.featureCount],
      numClasses: 3,
      seed: 3,
    });
    randomizeWeights(model.net, 5);
    const meta = { name: "toy", version: 1, task: "tabular", classes: CLASSES } as ModelMeta;
    const version: ModelVersion = { meta, dir };

    await t.step("save artifacts and export", async () => {
      await saveModel(model, dir);
      await Deno.writeTextFile(join(dir, "preprocessor.json"), JSON.stringify(state));
      await Deno.writeTextFile(join(dir, "schema.json"), JSON.stringify(SCHEMA));
      await Deno.writeTextFile(join(dir, "classes.json"), JSON.stringify(CLASSES));
      await Deno.writeFile(join(dir, "model.onnx"), await exportVersion(version));
    });

    await t.step("predict raw rows and compare", async () => {
      const rows = [...rawRows(50, 2), { x1: "12", x2: null, ok: "true", colour: "purple", size: null }];
      const features = transformRows(state, rows);
      const expected = tf.tidy(() =>
        model.predict(tf.tensor2d(features, [rows.length, state.featureCount])).dataSync()
      );
      const p = await loadPredictor(version, { providers: ["cpu"] });
      const got = (await p.predictRows(rows) as ClassPrediction[]).flatMap((r) =>
        CLASSES.map((c) => r.probabilities[c])
      );
      await p.close();
      const diff = maxAbsDiff(expected, got);
      assert.ok(diff < 1e-4, `max abs diff ${diff}`);
    });

    await t.step("a missing preprocessor.json is named", async () => {
      await Deno.remove(join(dir, "preprocessor.json"));
      await assert.rejects(
        exportVersion(version),
        (e) =>
          e instanceof MmmlError && e.code === "artifact_corrupt" &&
          /preprocessor\.json is missing/.test(e.message),
      );
    });
    model.net.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
