import assert from "node:assert/strict";
import { createMemoryLogger } from "../log.ts";
import { createModelPool } from "./model_pool.ts";
import { createModelRepository } from "./model_repository.ts";
import { createModelWatcher } from "./model_watcher.ts";
import { createTestRegistry } from "../../testing/server_registry.ts";

async function until(what: string, ok: () => boolean, ms = 3000) {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("ModelWatcher follows a promoted version on its timer and leaves fixed references alone", async () => {
  const t = await createTestRegistry({ iris: 3 });
  const pool = createModelPool();
  const logger = createMemoryLogger("info");
  const repository = createModelRepository({ registry: t.registry, pool, load: t.load, logger });
  const watcher = createModelWatcher({ pool, repository, logger, intervalMs: 30 });
  try {
    await t.registry.setStages("iris", 1, ["production"], { exclusive: true });
    await repository.sync("iris@production");
    await repository.sync("iris@3");
    await t.registry.setStages("iris", 2, ["production"], { exclusive: true });
    const promoted = performance.now();
    await until("iris@production to serve version 2", () => pool.bound("iris@production")?.version === 2);
    assert.ok(performance.now() - promoted < 1000, "switched within a few ticks");
    assert.equal(pool.bound("iris@3")?.version, 3, "a fixed version is never re-resolved away");
    assert.deepEqual(pool.versions("iris"), [2, 3]);
    // A new registration moves @latest, which nobody serves here: nothing else loads.
    await t.register("iris");
    await watcher.tick();
    assert.deepEqual(t.loads.map((p) => p.version), [1, 3, 2]);
  } finally {
    await watcher.stop();
    await pool.close();
    await t.cleanup();
  }
});

Deno.test("ModelWatcher keeps serving when a stage disappears and logs the problem once", async () => {
  const t = await createTestRegistry({ iris: 2 });
  const pool = createModelPool();
  const logger = createMemoryLogger("info");
  const repository = createModelRepository({ registry: t.registry, pool, load: t.load, logger });
  const watcher = createModelWatcher({ pool, repository, logger, intervalMs: 0 });
  try {
    await t.registry.setStages("iris", 2, ["staging"]);
    await repository.sync("iris@staging");
    await t.registry.setStages("iris", 2, []);
    await watcher.tick();
    await watcher.tick();
    assert.equal(pool.bound("iris@staging")?.version, 2);
    const warnings = logger.lines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn");
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0].msg, /cannot follow iris@staging; still serving version 2/);
    await t.registry.setStages("iris", 1, ["staging"]);
    await watcher.tick();
    assert.equal(pool.bound("iris@staging")?.version, 1, "follows again once the stage names a version");
  } finally {
    await watcher.stop();
    await pool.close();
    await t.cleanup();
  }
});
