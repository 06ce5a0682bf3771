import assert from "node:assert/strict";
import { join } from "node:path";
import { openRegistry } from "./open_registry.ts";
import {
  entries,
  PG_SKIP,
  pgTestName,
  POSTGRES_BACKEND,
  sampleMeta,
  SQLITE_BACKEND,
  type TestBackend,
  withRegistry,
  writeArtifacts,
} from "../../testing/registry_support.ts";

async function oneVersionPerKey(backend: TestBackend) {
  await withRegistry(backend, async (reg, place) => {
    const first = await reg.register("penguins", sampleMeta(), writeArtifacts("first"), {
      key: "sweep:s1:trial:1",
    });
    assert.equal(first.meta.publish_key, "sweep:s1:trial:1");
    const again = await reg.register("penguins", sampleMeta(), writeArtifacts("again"), {
      key: "sweep:s1:trial:1",
    });
    assert.equal(again.meta.version, first.meta.version, "the same key gives the version it gave before");
    // Two publishes of one key at once (a lease that expired under a live worker): one wins. SQLite's
    // lock waits block the thread, so there the second publish comes through the same registry's queue;
    // PostgreSQL's come from a second connection pool, as from another process.
    const other = backend.label === "SQLite" ? reg : await openRegistry(place.location, place.options);
    try {
      const raced = await Promise.all([
        reg.register("penguins", sampleMeta(), writeArtifacts("a"), { key: "sweep:s1:trial:2" }),
        other.register("penguins", sampleMeta(), writeArtifacts("b"), { key: "sweep:s1:trial:2" }),
      ]);
      assert.equal(raced[0].meta.version, raced[1].meta.version);
    } finally {
      if (other !== reg) await other.close();
    }
    const plain = await reg.register("penguins", sampleMeta(), writeArtifacts("plain"));
    assert.deepEqual((await reg.list("penguins")).map((v) => v.meta.version), [1, 2, 3]);
    assert.equal(plain.meta.publish_key, undefined);
    const folders = await entries(join(place.artifacts, "penguins"));
    assert.deepEqual(
      folders.filter((n) => n.startsWith(".staging-") && !n.endsWith(".lock")),
      [],
      "no staging left",
    );
    assert.equal(JSON.parse(await Deno.readTextFile(join(first.dir, "schema.json"))).tag, "first");
  });
}

Deno.test("SQLite registry publishes a key at most once, also when two publishes of it race", () =>
  oneVersionPerKey(SQLITE_BACKEND));

Deno.test({
  name: pgTestName("PostgreSQL registry publishes a key at most once, also when two processes race"),
  ignore: PG_SKIP !== null,
  fn: () => oneVersionPerKey(POSTGRES_BACKEND),
});
