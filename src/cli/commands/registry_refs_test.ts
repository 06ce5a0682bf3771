import assert from "node:assert/strict";
import { withFixture } from "../../../testing/registry_fixture.ts";

/** The fixture's penguins: v2 has the best val.macro_f1, v3 is the newest, and v1 is put in production. */
const REF_FORMS = [
  { ref: "penguins", version: 3 },
  { ref: "penguins@1", version: 1 },
  { ref: "penguins@v2", version: 2 },
  { ref: "penguins@latest", version: 3 },
  { ref: "penguins@best", version: 2 },
  { ref: "penguins@production", version: 1 },
] as const;

Deno.test("every reference form names the right version in show, compare, tag and delete", async () => {
  await withFixture(async (_dir, run) => {
    assert.equal((await run("promote", "penguins@1", "--stage", "production")).code, 0);
    for (const { ref, version } of REF_FORMS) {
      const shown = await run("show", ref, "--json");
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(JSON.parse(shown.stdout).version, version, `show ${ref}`);

      const compared = JSON.parse((await run("compare", ref, "iris", "--json")).stdout);
      assert.deepEqual(compared.a, { name: "penguins", version }, `compare ${ref}`);
      const reversed = JSON.parse((await run("compare", "iris@latest", ref, "--json")).stdout);
      assert.deepEqual(reversed.b, { name: "penguins", version }, `compare iris@latest ${ref}`);

      const tagged = await run("tag", ref, `via-${ref.replace("@", "-")}`);
      assert.equal(tagged.code, 0, tagged.stderr);
      assert.match(tagged.stdout, new RegExp(`^penguins@${version} tags: `), `tag ${ref}`);
    }
    const tags = JSON.parse((await run("show", "penguins@1", "--json")).stdout).tags;
    assert.deepEqual(tags, ["via-penguins-1", "via-penguins-production"]);

    const best = await run("delete", "penguins@best", "--yes");
    assert.equal(best.stdout, "deleted penguins@2\n");
    const latest = await run("delete", "penguins@latest", "--yes", "--json");
    assert.equal(JSON.parse(latest.stdout).deleted.version, 3);
    const production = await run("delete", "penguins@production", "--yes", "--force");
    assert.equal(production.stdout, "deleted penguins@1 (was in stage production)\n");
    const none = await run("show", "penguins");
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Model "penguins" not found in .*: available models are iris\n/);
  });
});

Deno.test("registry promote and tag refuse a reference that names nothing, saying what exists", async () => {
  await withFixture(async (_dir, run) => {
    const stage = await run("promote", "penguins@staging", "--stage", "production");
    assert.equal(stage.code, 2);
    assert.match(
      stage.stderr,
      /Model "penguins@staging" not found .*no version of penguins is in stage "staging"/,
    );
    const version = await run("tag", "penguins@7", "x");
    assert.equal(version.code, 2);
    assert.match(version.stderr, /Model "penguins@7" not found .*versions of penguins are 1, 2, 3/);
    const bad = await run("delete", "penguins@", "--yes");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid model reference "penguins@"/);
  });
});
