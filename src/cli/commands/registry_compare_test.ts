import assert from "node:assert/strict";
import { join } from "node:path";
import { withFixture } from "../../../testing/registry_fixture.ts";

Deno.test("registry compare prints metrics with deltas, timings, the config diff and data equality", async () => {
  await withFixture(async (_dir, run) => {
    const r = await run("compare", "penguins@1", "penguins@2");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        "penguins@1 (a) vs penguins@2 (b)",
        "",
        "metric         penguins@1  penguins@2    delta",
        "val.accuracy       0.9300      0.9400  +0.0100",
        "val.log_loss       0.3000      0.2500  -0.0500",
        "val.macro_f1       0.9100      0.9500  +0.0400",
        "test.accuracy      0.9000           -        -",
        "test.macro_f1           -      0.9200        -",
        "",
        "timing         penguins@1  penguins@2    delta",
        "epochs_run             10          12       +2",
        "train_seconds      1.5000      2.2500  +0.7500",
        "",
        "config                            penguins@1  penguins@2",
        'data.column_types["bill.length"]  "numeric"   "categorical"',
        "model.dropout                     0.1         (absent)",
        "model.hidden                      [32,16]     [64,32]",
        "training.early_stopping.patience  (absent)    5",
        "training.optimizer.lr             0.01        0.005",
        "",
        "data: same (sha256 000000000000...)",
        "",
      ].join("\n"),
    );
  });
});

Deno.test("registry compare --json gives exact deltas and every changed, added and removed config path", async () => {
  await withFixture(async (_dir, run) => {
    const r = await run("compare", "penguins@1", "penguins@2", "--json");
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(c), [
      "a",
      "b",
      "metrics",
      "config",
      "same_data",
      "timings",
      "data",
      "sweep",
      "notes",
    ]);
    assert.deepEqual(c.sweep, { a: null, b: null });
    assert.deepEqual(c.a, { name: "penguins", version: 1 });
    assert.deepEqual(c.b, { name: "penguins", version: 2 });
    assert.deepEqual(c.metrics, [
      { key: "val.accuracy", a: 0.93, b: 0.94, delta: 0.01 },
      { key: "val.log_loss", a: 0.3, b: 0.25, delta: -0.05 },
      { key: "val.macro_f1", a: 0.91, b: 0.95, delta: 0.04 },
      { key: "test.accuracy", a: 0.9, b: null, delta: null },
      { key: "test.macro_f1", a: null, b: 0.92, delta: null },
    ]);
    assert.deepEqual(c.config, [
      { path: 'data.column_types["bill.length"]', change: "changed", a: "numeric", b: "categorical" },
      { path: "model.dropout", change: "removed", a: 0.1, b: null },
      { path: "model.hidden", change: "changed", a: [32, 16], b: [64, 32] },
      { path: "training.early_stopping.patience", change: "added", a: null, b: 5 },
      { path: "training.optimizer.lr", change: "changed", a: 0.01, b: 0.005 },
    ]);
    assert.equal(c.same_data, true);
    assert.deepEqual(c.timings, [
      { key: "epochs_run", a: 10, b: 12, delta: 2 },
      { key: "train_seconds", a: 1.5, b: 2.25, delta: 0.75 },
    ]);
    assert.deepEqual(c.notes, []);

    const reverse = JSON.parse((await run("compare", "penguins@2", "penguins@1", "--json")).stdout);
    assert.deepEqual(reverse.metrics[2], { key: "val.macro_f1", a: 0.95, b: 0.91, delta: -0.04 });
    assert.deepEqual(reverse.config[1], { path: "model.dropout", change: "added", a: null, b: 0.1 });
  });
});

Deno.test("registry compare across models reports other data and a version without config.json", async () => {
  await withFixture(async (dir, run) => {
    const r = await run("compare", "penguins@3", "iris@1", "--json");
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    assert.deepEqual([c.a, c.b], [{ name: "penguins", version: 3 }, { name: "iris", version: 1 }]);
    assert.equal(c.same_data, false);
    assert.deepEqual(c.data, { a: "1".repeat(64), b: "0".repeat(64) });
    assert.equal(c.config, null);
    assert.deepEqual(c.notes, [
      `iris@1 has no config.json (${join(dir, "iris", "v1")}), so configs are not compared`,
    ]);
    assert.deepEqual(c.metrics.map((m: { key: string }) => m.key), [
      "val.accuracy",
      "val.log_loss",
      "val.macro_f1",
    ]);
    assert.deepEqual(c.metrics[2], { key: "val.macro_f1", a: 0.93, b: 0.9, delta: -0.03 });

    const text = await run("compare", "penguins@3", "iris@1");
    assert.match(
      text.stdout,
      /\nconfig: not compared\n\ndata: differs \(sha256 111111111111\.\.\. vs 000000000000\.\.\.\)\n/,
    );
    assert.match(text.stdout, /\nnote: iris@1 has no config\.json /);
    assert.match(text.stdout, /\ntimings: none recorded\n/);

    const same = await run("compare", "penguins@1", "penguins@3");
    assert.match(same.stdout, /\nconfig: identical\n\ndata: differs /);
  });
});

Deno.test("registry compare refuses a corrupt config.json and names a missing version", async () => {
  await withFixture(async (dir, run) => {
    await Deno.writeTextFile(join(dir, "penguins", "v2", "config.json"), "{not json");
    const bad = await run("compare", "penguins@1", "penguins@2");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /penguins@2: .*penguins\/v2\/config\.json is not valid JSON/);
    const missing = await run("compare", "penguins@1", "penguins@9");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Model "penguins@9" not found in .*: versions of penguins are 1, 2, 3/);
    const one = await run("compare", "penguins@1");
    assert.equal(one.code, 2);
    assert.match(one.stderr, /"mmml registry compare" needs B/);
  });
});
