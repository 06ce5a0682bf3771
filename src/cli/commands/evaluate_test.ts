import { runTabularEvaluation } from "../../tasks/tabular_scoring.ts";
import { loadTrained } from "../../runs/load_trained.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { syntheticTabularCsv } from "../../../testing/synthetic_tabular.ts";
import { createFileRegistry } from "../../registry/file_registry.ts";
import { cli, listTree, logMessages } from "../../../testing/cli.ts";

const SCALARS = ["accuracy", "macro_f1", "weighted_f1", "precision", "recall", "auc", "log_loss"];

/** Seeded data with numeric and categorical columns and missing cells, cut into train and test files. */
async function writeSplitData(dir: string): Promise<{ train: string; test: string; testLines: string[] }> {
  const lines = syntheticTabularCsv({
    rows: 400,
    numeric: 5,
    categorical: 2,
    levels: 3,
    missing: 0.05,
    seed: 11,
  })
    .trim().split("\n");
  const train = join(dir, "train.csv");
  const test = join(dir, "test.csv");
  await Deno.writeTextFile(train, [lines[0], ...lines.slice(1, 301)].join("\n") + "\n");
  await Deno.writeTextFile(test, [lines[0], ...lines.slice(301)].join("\n") + "\n");
  return { train, test, testLines: lines.slice(301) };
}

Deno.test("evaluate reproduces train's --test metrics and names bad labels", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_evaluate_" });
  const registry = join(dir, "models");
  try {
    const { train, test, testLines } = await writeSplitData(dir);
    const header = (await Deno.readTextFile(test)).split("\n")[0];
    const trained = await cli([
      "train",
      "--data",
      train,
      "--test",
      test,
      "--label",
      "label",
      "--name",
      "synth",
      "--registry",
      registry,
      "--epochs",
      "4",
      "--json",
      "--set",
      "training.progress=false",
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const trainOut = JSON.parse(trained.stdout);
    const evaluate = (file: string, ...more: string[]) =>
      cli(["evaluate", "--model", "synth@1", "--data", file, "--registry", registry, ...more]);

    await t.step("evaluate on the --test file gives train's test metrics", async () => {
      const r = await evaluate(test, "--json");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split("\n").length, 1);
      const out = JSON.parse(r.stdout);
      assert.equal(out.rows, 100);
      assert.equal(out.model, "synth");
      assert.equal(out.version, 1);
      for (const key of SCALARS) {
        const want = trainOut.metrics.test[key];
        assert.equal(typeof want, "number", `train reported no test.${key}`);
        assert.ok(
          Math.abs(out.metrics[key] - want) <= 1e-6,
          `${key}: evaluate ${out.metrics[key]}, train ${want}`,
        );
      }
      const saved = JSON.parse(await Deno.readTextFile(join(trainOut.artifact, "metrics.json"))).test;
      assert.deepEqual(out.metrics.confusion_matrix, saved.confusion_matrix);
      assert.deepEqual(Object.keys(out.metrics.per_class), ["c0", "c1", "c2"]);
      const cm: number[][] = out.metrics.confusion_matrix;
      assert.equal(cm.flat().reduce((a, b) => a + b, 0), 100);
      // Support per class is the row sum of the confusion matrix, and the counts of the file's labels.
      const labelCounts = ["c0", "c1", "c2"].map((c) => testLines.filter((l) => l.endsWith(`,${c}`)).length);
      assert.deepEqual(cm.map((row) => row.reduce((a, b) => a + b, 0)), labelCounts);
      assert.deepEqual(
        Object.values(out.metrics.per_class).map((c) => (c as { support: number }).support),
        labelCounts,
      );
      // The model learned something: far above the 1/3 of guessing.
      assert.ok(out.metrics.accuracy > 0.6, `accuracy ${out.metrics.accuracy}`);
    });

    await t.step("without --json the report is text on stdout", async () => {
      const r = await evaluate(test);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^synth@1 on .*test\.csv: 100 rows\n {2}accuracy 0\.\d{4} {2}macro_f1/);
      assert.match(r.stdout, /confusion matrix \(rows: true, columns: predicted\)/);
    });

    await t.step("a label the model never saw is exit 2 naming the line and value", async () => {
      const bad = join(dir, "unseen_label.csv");
      const rows = testLines.slice(0, 5);
      rows[3] = rows[3].replace(/,c\d$/, ",c9");
      await Deno.writeTextFile(bad, [header, ...rows].join("\n") + "\n");
      const r = await evaluate(bad);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /^mmml: .*unseen_label\.csv line 5, column "label": expected one of the model's classes \(c0, c1, c2\), received "c9"$/m,
      );
    });

    await t.step("a file without the label column is exit 2 naming it", async () => {
      const bad = join(dir, "no_label.csv");
      const text = [header, ...testLines.slice(0, 5)].map((l) => l.replace(/,[^,]*$/, "")).join("\n");
      await Deno.writeTextFile(bad, text + "\n");
      const r = await evaluate(bad);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no_label\.csv: required column "label" is missing/);
    });

    await t.step("unseen categories are scored with a warning, not an error", async () => {
      const file = join(dir, "unseen_cat.csv");
      const cat = header.split(",").indexOf("cat_1");
      const rows = testLines.slice(0, 20).map((l, i) => {
        const cells = l.split(",");
        if (i % 5 === 0) cells[cat] = "zzz";
        return cells.join(",");
      });
      await Deno.writeTextFile(file, [header, ...rows].join("\n") + "\n");
      const r = await evaluate(file, "--json");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).rows, 20);
      const warnings = logMessages(r.stderr, "warn");
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /4 cell\(s\) of column "cat_1" hold categories unseen in training \("zzz"\)/);
    });

    await t.step("runTabularEvaluation frees every tensor it makes", async () => {
      const loaded = await loadTrained(createFileRegistry(registry), "synth");
      try {
        const before = tf.memory().numTensors;
        const result = await runTabularEvaluation(loaded, test);
        assert.equal(result.rows, 100);
        assert.equal(tf.memory().numTensors, before);
      } finally {
        loaded.dispose();
      }
    });

    await t.step("a tampered artifact is refused naming the file", async () => {
      const copy = join(dir, "tampered");
      await Deno.mkdir(join(copy, "synth"), { recursive: true });
      await copyDir(join(registry, "synth", "v1"), join(copy, "synth", "v1"));
      const path = join(copy, "synth", "v1", "preprocessor.json");
      const pre = JSON.parse(await Deno.readTextFile(path));
      pre.numeric[0].mean += 1;
      await Deno.writeTextFile(path, JSON.stringify(pre));
      const r = await cli(["evaluate", "--model", "synth", "--data", test, "--registry", copy]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Artifact "preprocessor\.json" of synth@1 .* has changed since registration/);
    });

    assert.deepEqual((await listTree(registry)).filter((f) => f.includes("staging")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}
