import assert from "node:assert/strict";
import { join } from "node:path";
import { openRegistry } from "../../registry/open_registry.ts";
import { fixtureRegistry, sha256 } from "../../../testing/registry_fixture.ts";
import { cli } from "../../../testing/cli.ts";

Deno.test("registry list --json prints one entry per version with the contract's fields", async () => {
  const dir = await fixtureRegistry(await Deno.makeTempDir({ prefix: "mmml_registry_" }));
  try {
    const r = await cli(["registry", "list", "--registry", dir, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const { models } = JSON.parse(r.stdout);
    assert.deepEqual(models.map((m: { name: string; version: number }) => `${m.name}@${m.version}`), [
      "iris@1",
      "penguins@1",
      "penguins@2",
      "penguins@3",
    ]);
    for (const m of models) {
      assert.deepEqual(Object.keys(m), ["name", "version", "created", "task", "metrics", "stages"]);
      assert.match(m.created, /^2026-01-01T00:0\d:00\.000Z$/);
      assert.deepEqual(m.stages, []);
    }
    assert.equal(models[2].metrics["val.macro_f1"], 0.95);
    const one = JSON.parse((await cli(["registry", "list", "penguins", "--registry", dir, "--json"])).stdout);
    assert.equal(one.models.length, 3);
    const text = await cli(["registry", "list", "--registry", dir]);
    assert.match(text.stdout, /^model +created +task +val\.accuracy +val\.macro_f1 +stages\n/);
    assert.match(text.stdout, /\npenguins@2 +2026-01-01T00:02:00Z +tabular +0\.9400 +0\.9500 +-\n/);
    const empty = await cli(["registry", "list", "--registry", join(dir, "none"), "--json"]);
    assert.deepEqual(JSON.parse(empty.stdout), { models: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry latest, best and show pick the right version", async () => {
  const dir = await fixtureRegistry(await Deno.makeTempDir({ prefix: "mmml_registry_" }));
  try {
    const run = async (...args: string[]) => {
      const r = await cli(["registry", ...args, "--registry", dir]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    assert.equal(await run("latest", "penguins"), "penguins@3\n");
    assert.equal(await run("best", "penguins"), "penguins@2\n", "default: val.macro_f1");
    assert.equal(await run("best", "penguins", "--metric", "val.accuracy"), "penguins@3\n");
    assert.equal(
      await run("best", "penguins", "--metric", "val.log_loss"),
      "penguins@3\n",
      "loss: lowest wins",
    );
    const best = JSON.parse(await run("best", "penguins", "--metric", "val.macro_f1", "--json"));
    assert.equal(best.version, 2);
    const shown = JSON.parse(await run("show", "penguins@1", "--json"));
    assert.equal(shown.version, 1);
    assert.equal(shown.dir, join(dir, "penguins", "v1"));
    assert.deepEqual(Object.keys(shown.files).sort(), ["classes.json", "config.json"]);
    assert.equal(shown.files["classes.json"], await sha256('["a","b"]'));
    assert.match(await run("show", "penguins@best"), /^penguins@2\n {2}folder: /);

    const noMetric = await cli([
      "registry",
      "best",
      "penguins",
      "--metric",
      "val.acuracy",
      "--registry",
      dir,
    ]);
    assert.equal(noMetric.code, 2);
    assert.match(
      noMetric.stderr,
      /--metric val\.acuracy: no version of penguins has it \(did you mean val\.accuracy\?\)/,
    );
    const missing = await cli(["registry", "show", "walrus", "--registry", dir]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Model "walrus" not found in .*: available models are iris, penguins/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry promote moves a stage to one version, and NAME@STAGE follows it", async () => {
  const dir = await fixtureRegistry(await Deno.makeTempDir({ prefix: "mmml_registry_" }));
  try {
    const run = (...args: string[]) => cli(["registry", ...args, "--registry", dir]);
    const first = await run("promote", "penguins@2", "--stage", "production");
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, "penguins@2 is now in stage production\n");
    assert.equal((await run("show", "penguins@production", "--json")).stdout.includes('"version":2'), true);
    await run("promote", "penguins@1", "--stage", "staging");
    const second = await run("promote", "penguins@3", "--stage", "production", "--json");
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout).demoted, [2]);
    const { models } = JSON.parse((await run("list", "penguins", "--json")).stdout);
    assert.deepEqual(models.map((m: { stages: string[] }) => m.stages), [["staging"], [], ["production"]]);
    assert.equal(JSON.parse((await run("show", "penguins@production", "--json")).stdout).version, 3);

    // A stage copied onto a second version by a non-exclusive setStages still ends on one version.
    const registry = await openRegistry(dir);
    await registry.setStages("penguins", 1, ["staging", "production"]).finally(() => registry.close());
    const third = await run("promote", "penguins@2", "--stage", "production");
    assert.equal(third.stdout, "penguins@2 is now in stage production (taken from penguins@1, penguins@3)\n");
    const after = JSON.parse((await run("list", "penguins", "--json")).stdout).models;
    assert.deepEqual(after.map((m: { stages: string[] }) => m.stages), [["staging"], ["production"], []]);

    const noStage = await run("promote", "penguins@1");
    assert.equal(noStage.code, 2);
    assert.match(noStage.stderr, /needs --stage STAGE/);
    const reserved = await run("promote", "penguins@1", "--stage", "latest");
    assert.equal(reserved.code, 2);
    assert.match(reserved.stderr, /Invalid stage "latest"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry tag adds a tag once, kept across promotions", async () => {
  const dir = await fixtureRegistry(await Deno.makeTempDir({ prefix: "mmml_registry_" }));
  try {
    const run = (...args: string[]) => cli(["registry", ...args, "--registry", dir]);
    const r = await run("tag", "penguins@2", "gold");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "penguins@2 tags: gold\n");
    assert.equal((await run("tag", "penguins@2", "gold")).stdout, "penguins@2 tags: gold\n", "no duplicate");
    const json = await run("tag", "penguins@2", "reviewed", "--json");
    assert.deepEqual(JSON.parse(json.stdout).tags, ["gold", "reviewed"]);
    await run("promote", "penguins@2", "--stage", "production");
    const shown = await run("show", "penguins@2", "--json");
    assert.deepEqual(JSON.parse(shown.stdout).tags, ["gold", "reviewed"]);
    const bad = await run("tag", "penguins@2", "");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /tag/i);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry names an unknown subcommand and prints help for each", async () => {
  const typo = await cli(["registry", "lsit"]);
  assert.equal(typo.code, 2);
  assert.match(
    typo.stderr,
    /needs a subcommand: list\|show\|latest\|best\|promote\|tag\|compare\|delete\|export\|clean\|rebuild; received "lsit" \(did you mean "list"\?\)/,
  );
  const help = await cli(["registry", "best", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: mmml registry best \[flags\] NAME\n/);
  const all = await cli(["registry", "--help"]);
  assert.match(all.stdout, /\n {2}promote +Put a version in a stage/);
});
