import assert from "node:assert/strict";
import { join } from "node:path";
import { BASE_CONFIG, sha256, withFixture } from "../../../testing/registry_fixture.ts";

const META_KEYS = [
  "arch",
  "backend",
  "classes",
  "created",
  "data_fingerprint",
  "dir",
  "files",
  "input_shape",
  "metrics",
  "name",
  "stages",
  "tags",
  "task",
  "timings",
  "version",
];

Deno.test("registry export --json prints every version's full metadata with artifact hashes", async () => {
  await withFixture(async (dir, run) => {
    await run("promote", "penguins@2", "--stage", "production");
    await run("tag", "penguins@1", "baseline");
    const r = await run("export", "--json");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ["registry", "models"]);
    assert.equal(out.registry.startsWith(dir), true, out.registry);
    assert.deepEqual(out.models.map((m: { name: string; version: number }) => `${m.name}@${m.version}`), [
      "iris@1",
      "penguins@1",
      "penguins@2",
      "penguins@3",
    ]);
    for (const m of out.models) assert.deepEqual(Object.keys(m).sort(), META_KEYS);
    const [iris, p1, p2, p3] = out.models;
    assert.deepEqual(iris.files, { "classes.json": await sha256('["a","b"]') });
    assert.deepEqual(p1.files, {
      "classes.json": await sha256('["a","b"]'),
      "config.json": await sha256(JSON.stringify(BASE_CONFIG, null, 2)),
    });
    assert.deepEqual(p1.tags, ["baseline"]);
    assert.deepEqual(p2.stages, ["production"]);
    assert.deepEqual(p2.metrics, {
      "val.macro_f1": 0.95,
      "val.accuracy": 0.94,
      "val.log_loss": 0.25,
      "test.macro_f1": 0.92,
    });
    assert.deepEqual(p2.timings, { train_seconds: 2.25, epochs_run: 12 });
    assert.equal(p3.created, "2026-01-01T00:03:00.000Z");
    assert.equal(p3.data_fingerprint, "1".repeat(64));
    assert.equal(p3.dir, join(dir, "penguins", "v3"));
  });
});

Deno.test("registry export NAME keeps one model, refuses an unknown name, and needs --json", async () => {
  await withFixture(async (_dir, run) => {
    const one = JSON.parse((await run("export", "iris", "--json")).stdout);
    assert.deepEqual(one.models.map((m: { version: number }) => m.version), [1]);
    const typo = await run("export", "pengiuns", "--json");
    assert.equal(typo.code, 2);
    assert.equal(typo.stdout, "", "no half backup on stdout");
    assert.match(typo.stderr, /Model "pengiuns" not found in .*: available models are iris, penguins/);
    const versioned = await run("export", "penguins@2", "--json");
    assert.equal(versioned.code, 2);
    assert.match(versioned.stderr, /mmml registry export takes a model name, received "penguins@2"/);
    const text = await run("export");
    assert.equal(text.code, 2);
    assert.match(text.stderr, /mmml registry export prints JSON and needs --json .*; received no --json/);
  });
});
