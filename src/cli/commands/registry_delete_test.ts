import assert from "node:assert/strict";
import { join } from "node:path";
import { openRegistry } from "../../registry/open_registry.ts";
import { exists } from "../../files.ts";
import { withFixture } from "../../../testing/registry_fixture.ts";

Deno.test("registry delete needs --yes, then the version is gone and its reference not found", async () => {
  await withFixture(async (dir, run) => {
    const refused = await run("delete", "penguins@2");
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /^mmml: mmml registry delete penguins@2 removes that version \(created 2026-01-01T00:02:00\.000Z\) and its folder .*v2 for good; to delete it, run "mmml registry delete penguins@2 --yes"; received no --yes\n/,
    );
    assert.equal(await exists(join(dir, "penguins", "v2")), true, "nothing deleted without --yes");
    assert.equal((await run("show", "penguins@2")).code, 0);

    const r = await run("delete", "penguins@2", "--yes");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "deleted penguins@2\n");
    assert.equal(await exists(join(dir, "penguins", "v2")), false);
    const gone = await run("show", "penguins@2");
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /Model "penguins@2" not found in .*: versions of penguins are 1, 3\n/);
    const { models } = JSON.parse((await run("list", "penguins", "--json")).stdout);
    assert.deepEqual(models.map((m: { version: number }) => m.version), [1, 3]);
    assert.equal((await run("best", "penguins")).stdout, "penguins@3\n", "@best re-ranks without v2");

    const again = await run("delete", "penguins@2", "--yes");
    assert.equal(again.code, 2);
    assert.match(again.stderr, /Model "penguins@2" not found/);
  });
});

Deno.test("registry delete refuses a version in a stage unless --force", async () => {
  await withFixture(async (_dir, run) => {
    assert.equal((await run("promote", "penguins@3", "--stage", "production")).code, 0);
    const noYes = await run("delete", "penguins@production");
    assert.equal(noYes.code, 2);
    assert.match(
      noYes.stderr,
      /delete penguins@production \(penguins@3\) removes that version \(created .*, in stage production\).* run "mmml registry delete penguins@3 --yes --force"/,
    );
    const noForce = await run("delete", "penguins@production", "--yes");
    assert.equal(noForce.code, 2);
    assert.match(
      noForce.stderr,
      /penguins@3 is in stage production, so penguins@production would stop resolving; promote another version first \(mmml registry promote penguins@V --stage production\) or add --force; received no --force/,
    );
    assert.equal(JSON.parse((await run("show", "penguins@production", "--json")).stdout).version, 3);

    const forced = await run("delete", "penguins@production", "--yes", "--force", "--json");
    assert.equal(forced.code, 0, forced.stderr);
    const { deleted } = JSON.parse(forced.stdout);
    assert.deepEqual([deleted.name, deleted.version, deleted.stages], ["penguins", 3, ["production"]]);
    const stage = await run("show", "penguins@production");
    assert.equal(stage.code, 2);
    assert.match(stage.stderr, /Model "penguins@production" not found .*no version of penguins is in stage/);
    assert.equal((await run("latest", "penguins")).stdout, "penguins@2\n");
  });
});

Deno.test("registry delete of a model's last version leaves the model unknown and the number unused", async () => {
  await withFixture(async (dir, run) => {
    assert.equal((await run("delete", "iris", "--yes")).stdout, "deleted iris@1\n");
    const gone = await run("show", "iris");
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /Model "iris" not found in .*: available models are penguins\n/);
    const registry = await openRegistry(dir);
    try {
      const next = await registry.register("iris", {
        task: "tabular",
        arch: "mlp",
        backend: "wasm",
        classes: ["a"],
        metrics: {},
        timings: {},
        data_fingerprint: "0".repeat(64),
        input_shape: [4],
      }, async () => {});
      assert.equal(next.meta.version, 2, "a deleted version's number is not handed out again");
    } finally {
      await registry.close();
    }
  });
});
