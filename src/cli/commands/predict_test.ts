import { loadTrained } from "../../runs/load_trained.ts";
import { runTabularPrediction } from "../../tasks/tabular_scoring.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createFileRegistry } from "../../registry/file_registry.ts";
import { cli, listTree } from "../../../testing/cli.ts";

const IRIS = new URL("../../../fixtures/iris.csv", import.meta.url).pathname;
const CLASSES = ["setosa", "versicolor", "virginica"];

interface Line {
  row: number;
  label: string;
  probabilities: Record<string, number>;
}

function parseLines(text: string): Line[] {
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

function checkPredictions(lines: Line[], rows: number): void {
  assert.equal(lines.length, rows);
  lines.forEach((p, i) => {
    assert.deepEqual(Object.keys(p), ["row", "label", "probabilities"]);
    assert.equal(p.row, i);
    assert.ok(CLASSES.includes(p.label), p.label);
    assert.deepEqual(Object.keys(p.probabilities), CLASSES);
    const values = Object.values(p.probabilities);
    assert.ok(values.every((v) => v >= 0 && v <= 1));
    assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) - 1) < 1e-5, `row ${i} sums to ${values}`);
    const best = CLASSES[values.indexOf(Math.max(...values))];
    assert.equal(p.label, best, `row ${i}: label is not the most probable class`);
  });
}

Deno.test("predict writes one prediction per row, in order, with every class probability", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_predict_" });
  const registry = join(dir, "models");
  try {
    const trained = await cli(
      [
        "train",
        "--data",
        IRIS,
        "--label",
        "species",
        "--registry",
        registry,
        "--set",
        "training.progress=false",
      ],
    );
    assert.equal(trained.code, 0, trained.stderr);
    const irisLines = (await Deno.readTextFile(IRIS)).trim().split("\n");
    const features = irisLines.map((l) => l.split(",").slice(0, 4).join(","));
    const predict = (...args: string[]) =>
      cli(["predict", "--model", "iris@1", "--registry", registry, ...args]);

    let reference: Line[] = [];
    await t.step(
      "JSON lines on stdout: rows in order, probabilities summing to 1, labels among classes",
      async () => {
        const r = await predict("--input", IRIS);
        assert.equal(r.code, 0, r.stderr);
        reference = parseLines(r.stdout);
        checkPredictions(reference, 150);
        // A trained model gets iris mostly right: a real check that rows line up with their labels.
        const right = reference.filter((p, i) => irisLines[i + 1].endsWith(`,${p.label}`)).length;
        assert.ok(right >= 128, `${right}/150 right`); // 135 with today's defaults; chance is 50
      },
    );

    await t.step("rows keep their order: a reversed file gives the reversed predictions", async () => {
      const reversed = join(dir, "reversed.csv");
      await Deno.writeTextFile(reversed, [features[0], ...features.slice(1).reverse()].join("\n") + "\n");
      const r = await predict("--input", reversed);
      assert.equal(r.code, 0, r.stderr);
      const lines = parseLines(r.stdout);
      checkPredictions(lines, 150);
      lines.forEach((p, i) => {
        const ref = reference[149 - i];
        assert.equal(p.label, ref.label);
        for (const c of CLASSES) assert.ok(Math.abs(p.probabilities[c] - ref.probabilities[c]) < 1e-6);
      });
    });

    await t.step("a file without the label column predicts the same as one with it", async () => {
      const noLabel = join(dir, "features.csv");
      await Deno.writeTextFile(noLabel, features.join("\n") + "\n");
      const r = await predict("--input", noLabel);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(parseLines(r.stdout), reference);
    });

    await t.step("--json without --output prints one object holding every prediction", async () => {
      const r = await predict("--input", IRIS, "--json");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split("\n").length, 1);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(out), ["model", "version", "predictions"]);
      assert.equal(out.model, "iris");
      assert.equal(out.version, 1);
      assert.deepEqual(out.predictions, reference);
    });

    await t.step("--output writes the JSON lines to a file atomically and nothing to stdout", async () => {
      const outDir = join(dir, "out");
      await Deno.mkdir(outDir);
      const r = await cli(
        [
          "predict",
          "--model",
          "iris",
          "--registry",
          "models",
          "--input",
          IRIS,
          "--output",
          "out/preds.jsonl",
        ],
        { cwd: dir },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "");
      assert.deepEqual(await listTree(outDir), ["preds.jsonl"], "no temporary file left");
      assert.deepEqual(parseLines(await Deno.readTextFile(join(outDir, "preds.jsonl"))), reference);
      const json = await predict("--input", IRIS, "--output", join(outDir, "preds.jsonl"), "--json");
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), {
        model: "iris",
        version: 1,
        rows: 150,
        output: join(outDir, "preds.jsonl"),
      });
    });

    await t.step("a failed prediction leaves an existing --output file untouched", async () => {
      const out = join(dir, "keep.jsonl");
      await Deno.writeTextFile(out, "previous\n");
      const bad = join(dir, "bad.csv");
      await Deno.writeTextFile(bad, `${features[0]}\n5.1,3.5,1.4,abc\n`);
      const r = await predict("--input", bad, "--output", out);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /bad\.csv line 2, column "petal_width": expected a number, received "abc"/);
      assert.equal(await Deno.readTextFile(out), "previous\n");
      const noFolder = await predict("--input", IRIS, "--output", join(dir, "nowhere", "p.jsonl"));
      assert.equal(noFolder.code, 2);
      assert.match(noFolder.stderr, /--output .*nowhere\/p\.jsonl: the folder .*nowhere does not exist/);
    });

    await t.step("missing cells are imputed, not rejected", async () => {
      const gaps = join(dir, "gaps.csv");
      await Deno.writeTextFile(gaps, `${features[0]}\n5.1,,1.4,0.2\n,,,\nNaN,3.0,NA,1.8\n`);
      const r = await predict("--input", gaps);
      assert.equal(r.code, 0, r.stderr);
      checkPredictions(parseLines(r.stdout), 3);
    });

    await t.step("runTabularPrediction frees every tensor it makes", async () => {
      const loaded = await loadTrained(createFileRegistry(registry), "iris@1");
      try {
        const before = tf.memory().numTensors;
        const { predictions } = await runTabularPrediction(loaded, IRIS);
        assert.equal(predictions.length, 150);
        assert.equal(tf.memory().numTensors, before);
      } finally {
        loaded.dispose();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
