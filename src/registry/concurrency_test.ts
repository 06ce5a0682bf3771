import assert from "node:assert/strict";
import { join } from "node:path";
import { openRegistry } from "./open_registry.ts";
import {
  childSpawner,
  entries,
  PG_SKIP,
  pgTestName,
  POSTGRES_BACKEND,
  SQLITE_BACKEND,
  type TestBackend,
  watchChild,
  withTempDir,
} from "../../testing/registry_support.ts";

const PROCESSES = 8;

async function eightTrainings(backend: TestBackend): Promise<void> {
  await withTempDir(async (dir) => {
    const place = backend.place(dir);
    try {
      const barrier = join(dir, "barrier");
      await Deno.mkdir(barrier);
      const spawn = await childSpawner(dir);
      const children = Array.from(
        { length: PROCESSES },
        (_, i) =>
          watchChild(
            spawn({ location: place.location, options: place.options, id: `p${i}`, count: 1, barrier }),
          ),
      );
      // Release them together once each has opened the registry, so their publishes overlap.
      await Promise.all(children.map((c) => c.ready));
      await Deno.writeTextFile(join(barrier, "go"), "");
      const results = await Promise.all(children.map((c) => c.done));
      for (const r of results) assert.equal(r.status.code, 0, r.stderr);
      const reported = results.flatMap((r) => r.lines.map(Number)).sort((a, b) => a - b);
      const all = Array.from({ length: PROCESSES }, (_, i) => i + 1);
      assert.deepEqual(reported, all);

      const reg = await openRegistry(place.location, place.options);
      try {
        const listed = await reg.list("penguins");
        assert.deepEqual(listed.map((v) => v.meta.version), all);
        for (const v of listed) await reg.verify(v);
        const tags = await Promise.all(
          listed.map(async (v) => JSON.parse(await Deno.readTextFile(join(v.dir, "schema.json"))).tag),
        );
        assert.deepEqual(tags.sort(), all.map((i) => `p${i - 1}-0`).sort());
        assert.deepEqual(await entries(join(place.artifacts, "penguins")), all.map((n) => `v${n}`).sort());
      } finally {
        await reg.close();
      }
    } finally {
      await backend.cleanup(dir);
    }
  });
}

Deno.test("SQLite registry gives 8 training processes registering at once versions 1..8", () =>
  eightTrainings(SQLITE_BACKEND));

Deno.test({
  name: pgTestName("PostgreSQL registry gives 8 training processes registering at once versions 1..8"),
  ignore: PG_SKIP !== null,
  fn: () => eightTrainings(POSTGRES_BACKEND),
});
