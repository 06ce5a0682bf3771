import { defineRegistryContract } from "../../testing/registry_contract.ts";
import { sampleMeta, SQLITE_BACKEND, writeArtifacts } from "../../testing/registry_support.ts";
import assert from "node:assert/strict";
import { openRegistry } from "./open_registry.ts";

defineRegistryContract(SQLITE_BACKEND);

Deno.test("SQLite registries opened at once on one folder in one process do not stall each other", async () => {
  const dir = await Deno.makeTempDir();
  const first = await openRegistry(dir);
  try {
    await first.register("m", sampleMeta(), writeArtifacts("first"));
    const t0 = performance.now();
    const more = await Promise.all([1, 2, 3, 4].map(() => openRegistry(dir)));
    const seconds = (performance.now() - t0) / 1000;
    try {
      // Before the fix each open ran BEGIN IMMEDIATE, which blocks the thread: 60 s (busy timeout).
      assert.ok(seconds < 10, `4 opens took ${seconds.toFixed(1)} s`);
      for (const r of more) assert.equal((await r.list("m")).length, 1);
    } finally {
      for (const r of more) await r.close();
    }
  } finally {
    await first.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an empty registry.db without the registry's marker (another process creating it) opens as new", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/registry.db`, new Uint8Array());
    const reg = await openRegistry(dir);
    try {
      const v = await reg.register("m", sampleMeta(), writeArtifacts("first"));
      assert.equal(v.meta.version, 1);
    } finally {
      await reg.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
