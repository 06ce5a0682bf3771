import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, cliProcess, listTree } from "../../../testing/cli.ts";
import { probeNative } from "../../backend/probes.ts";

const nativeAvailable = (await probeNative()).available;

const IRIS = new URL("../../../fixtures/iris.csv", import.meta.url).pathname;
const QUIET = ["--set", "training.progress=false"];

const ARTIFACTS = [
  "meta.json",
  "config.json",
  "model/model.json",
  "model/weights.bin",
  "model.onnx",
  "preprocessor.json",
  "schema.json",
  "classes.json",
  "metrics.json",
];

Deno.test("train --json prints one JSON object with the contract's fields and registers every artifact", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_train_" });
  try {
    const registry = join(dir, "models");
    const r = await cli([
      "train",
      "--data",
      IRIS,
      "--label",
      "species",
      "--registry",
      registry,
      "--json",
      ...QUIET,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").length, 1, "exactly one line on stdout");
    const out = JSON.parse(r.stdout);
    for (
      const key of ["name", "version", "task", "backend", "metrics", "train_seconds", "samples_per_second"]
    ) {
      assert.ok(key in out, `missing ${key}`);
    }
    assert.equal(out.name, "iris");
    assert.equal(out.version, 1);
    assert.equal(out.task, "tabular");
    assert.equal(out.backend, nativeAvailable ? "native" : "wasm");
    assert.equal(out.artifact, join(registry, "iris", "v1"));
    for (const split of ["val", "test"]) {
      for (const metric of ["accuracy", "macro_f1"]) {
        const v = out.metrics[split][metric];
        assert.ok(typeof v === "number" && v >= 0 && v <= 1, `${split}.${metric} = ${v}`);
      }
    }
    assert.ok(out.train_seconds > 0 && out.samples_per_second > 0);
    // Default settings (20 epochs, seed 42) reach 22/23 on iris's stratified test split; allow one more miss.
    assert.ok(out.metrics.test.accuracy >= 0.9, `test accuracy ${out.metrics.test.accuracy}`);
    assert.ok(out.metrics.test.macro_f1 >= 0.9, `test macro_f1 ${out.metrics.test.macro_f1}`);

    const files = await listTree(out.artifact);
    for (const file of ARTIFACTS) assert.ok(files.includes(file), `${file} missing; have ${files}`);
    assert.ok(files.some((f) => f.startsWith("checkpoints/") && !f.endsWith("/")), "no checkpoint files");
    const meta = JSON.parse(await Deno.readTextFile(join(out.artifact, "meta.json")));
    assert.deepEqual(meta.classes, ["setosa", "versicolor", "virginica"]);
    assert.equal(meta.metrics["test.accuracy"], out.metrics.test.accuracy);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(out.artifact, "classes.json"))), meta.classes);
    assert.equal(JSON.parse(await Deno.readTextFile(join(out.artifact, "schema.json"))).label, "species");
    const saved = JSON.parse(await Deno.readTextFile(join(out.artifact, "config.json")));
    assert.equal(saved.training.lr_schedule.name, "constant", "auto resolves to constant for a CSV");
    assert.deepEqual(
      (await listTree(registry)).filter((f) => f.includes(".staging")),
      [],
      "no staging folder left",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train with the same seed twice gives identical metrics; another seed does not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_train_seed_" });
  try {
    const args = ["train", "--data", IRIS, "--label", "species", "--registry", dir, "--json", ...QUIET];
    const runs = [];
    for (const seed of ["7", "7", "8"]) {
      const r = await cli([...args, "--seed", seed, "--epochs", "5"]);
      assert.equal(r.code, 0, r.stderr);
      runs.push(JSON.parse(r.stdout));
    }
    assert.deepEqual(runs.map((r) => r.version), [1, 2, 3]);
    assert.deepEqual(runs[1].metrics, runs[0].metrics);
    assert.equal(runs[1].epochs_run, runs[0].epochs_run);
    const weights = await Promise.all(
      runs.map((r) => Deno.readFile(join(r.artifact, "model", "weights.bin"))),
    );
    assert.deepEqual(weights[1], weights[0], "same seed, same weights");
    assert.notDeepEqual(weights[2], weights[0], "another seed, other weights");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train without --json prints a human summary on stdout and logs on stderr", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_train_text_" });
  try {
    const r = await cli(
      [
        "train",
        "--data",
        IRIS,
        "--label",
        "species",
        "--name",
        "flowers",
        "--registry",
        dir,
        "--epochs",
        "2",
      ],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^flowers@1 \\(tabular, ${nativeAvailable ? "native" : "wasm"}/`));
    assert.match(r.stdout, /\n {2}test: accuracy \d/);
    assert.throws(() => JSON.parse(r.stdout));
    assert.match(r.stderr, /registered flowers@1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** What the progress bar writes to go back to the start of the line (a terminal's carriage return + erase). */
const CLEAR_LINE = "\r\x1b[K";

Deno.test("train redraws its progress bar in place on a terminal and writes one line per epoch elsewhere", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_train_progress_" });
  try {
    const args = ["train", "--data", IRIS, "--label", "species", "--registry", dir, "--epochs", "2"];
    const terminal = await cli(args, { stderrIsTerminal: true });
    assert.equal(terminal.code, 0, terminal.stderr);
    const redraws = terminal.stderr.split(CLEAR_LINE).slice(1);
    assert.ok(redraws.some((r) => /^epoch 1\/2 \[[=>.]+\] \d+\/\d+ - loss /.test(r)), "a redrawn bar");
    assert.ok(redraws.some((r) => r.startsWith("epoch 2/2 - ")), "the epoch's line replaces the bar");
    const piped = await cli(args);
    assert.equal(piped.code, 0, piped.stderr);
    assert.ok(!piped.stderr.includes("\r"), "no redraws when stderr is not a terminal");
    assert.match(piped.stderr, /^epoch 2\/2 - /m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli.ts train in a subprocess exits 0 with one JSON object on stdout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_train_proc_" });
  try {
    const r = await cliProcess(
      [
        "train",
        "--data",
        IRIS,
        "--label",
        "species",
        "--registry",
        "reg",
        "--epochs",
        "2",
        "--json",
        ...QUIET,
      ],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.artifact, join(dir, "reg", "iris", "v1"));
    assert.ok((await listTree(join(dir, "reg"))).includes("iris/v1/meta.json"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
