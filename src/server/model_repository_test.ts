import assert from "node:assert/strict";
import { join } from "node:path";
import { MmmlError } from "../errors.ts";
import { createMemoryLogger } from "../log.ts";
import { createModelPool } from "./model_pool.ts";
import { createModelRepository, isFloatingRef, refFor } from "./model_repository.ts";
import { createServerMetrics } from "./server_metrics.ts";
import { createTestRegistry } from "../../testing/server_registry.ts";

async function setup(versions: Record<string, number>) {
  const t = await createTestRegistry(versions);
  const pool = createModelPool();
  const logger = createMemoryLogger("info");
  const metrics = createServerMetrics({ pool });
  let clock = Date.parse("2025-01-02T03:04:05.000Z");
  const repository = createModelRepository({
    registry: t.registry,
    pool,
    load: t.load,
    logger,
    metrics,
    now: () => new Date(clock += 1000),
  });
  return { ...t, pool, logger, metrics, repository };
}

Deno.test("ModelRepository loads a reference, leaves it while it resolves the same, and switches when a stage moves", async () => {
  const s = await setup({ iris: 2 });
  try {
    await s.registry.setStages("iris", 1, ["production"], { exclusive: true });
    const first = await s.repository.sync("iris@production");
    assert.equal(first.status, "loaded");
    assert.equal(s.pool.bound("iris@production")?.version, 1);
    assert.equal((await s.repository.sync("iris@production")).status, "unchanged");
    assert.equal(s.loads.length, 1, "an unchanged reference is not loaded again");

    await s.registry.setStages("iris", 2, ["production"], { exclusive: true });
    const second = await s.repository.sync("iris@production");
    assert.equal(second.status, "switched");
    assert.equal(s.pool.get("iris").version, 2);
    assert.deepEqual(s.pool.versions("iris"), [2]);
    const [event, ...more] = s.repository.history();
    const { load_seconds, ...rest } = event;
    assert.deepEqual(more, []);
    assert.deepEqual(rest, {
      model: "iris",
      ref: "iris@production",
      from: 1,
      to: 2,
      at: "2025-01-02T03:04:06.000Z",
    });
    assert.ok(load_seconds >= 0 && load_seconds < 5, `load_seconds ${load_seconds}`);
    assert.equal(s.metrics.modelSwaps.get({ model: "iris" }), 1);
    // The old version closes once nothing holds it (nothing does here): wait for the log line.
    for (let i = 0; i < 50 && !s.loads[0].closed; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(s.loads[0].closed, true);
    const switched = s.logger.lines.map((l) => JSON.parse(l)).find((l) => l.msg === "model switched");
    assert.equal(switched.ref, "iris@production");
    assert.equal(switched.from, 1);
    assert.equal(switched.to, 2);
  } finally {
    await s.pool.close();
    await s.cleanup();
  }
});

Deno.test("ModelRepository shares one loaded version between references and keeps serving when a switch fails", async () => {
  const s = await setup({ iris: 3 });
  try {
    await s.repository.sync("iris@2");
    await s.registry.setStages("iris", 2, ["production"]);
    assert.equal((await s.repository.sync("iris@production")).status, "loaded");
    assert.equal(s.loads.length, 1, "iris@production reuses the iris@2 already loaded");
    assert.equal(s.pool.bound("iris@production"), s.pool.bound("iris@2"));

    s.failing.add("iris@3");
    await s.registry.setStages("iris", 3, ["production"], { exclusive: true });
    await assert.rejects(s.repository.sync("iris@production"), /cannot load iris@3 \(test\)/);
    assert.equal(s.pool.bound("iris@production")?.version, 2, "the version served before keeps serving");
    assert.equal(s.metrics.modelLoadFailures.get({ model: "iris" }), 1);
    assert.ok(s.logger.lines.some((l) => l.includes("cannot switch iris@production to iris@3")));
    const skipped = await s.repository.sync("iris@production", { retryFailed: false });
    assert.deepEqual(skipped, { status: "skipped", reason: "loading iris@3 failed before" });
    assert.equal(s.metrics.modelLoadFailures.get({ model: "iris" }), 1, "a failed version is not retried");
    const index = await s.repository.index();
    assert.deepEqual(index.map((e) => [e.version, e.state]), [["1", "UNAVAILABLE"], ["2", "READY"], [
      "3",
      "UNAVAILABLE",
    ]]);
    assert.match(index[2].reason, /cannot load iris@3/);
    assert.deepEqual((await s.repository.index({ ready: true })).map((e) => e.version), ["2"]);
  } finally {
    await s.pool.close();
    await s.cleanup();
  }
});

Deno.test("ModelRepository refuses a version whose artifact changed after registration, naming the file", async () => {
  const s = await setup({ iris: 1 });
  try {
    const v = await s.registry.resolve("iris@1");
    await Deno.writeTextFile(join(v.dir, "classes.json"), '["setosa","versicolor","virginicA"]');
    await assert.rejects(s.repository.sync("iris@1"), (err: unknown) => {
      assert.ok(err instanceof MmmlError);
      assert.equal(err.code, "artifact_corrupt");
      assert.match(err.message, /classes\.json/);
      return true;
    });
    assert.equal(s.loads.length, 0, "the loader never saw the tampered version");
  } finally {
    await s.pool.close();
    await s.cleanup();
  }
});

Deno.test("ModelRepository.unload waits for changes queued before it and skips watcher syncs after it", async () => {
  const s = await setup({ iris: 2 });
  try {
    await s.repository.sync("iris@latest");
    const [unloaded, after] = await Promise.all([
      s.repository.unload("iris"),
      s.repository.sync("iris@latest", { onlyIfBound: true }),
    ]);
    assert.deepEqual(unloaded.map((p) => p.version), [2]);
    assert.equal(s.loads[0].closed, true);
    assert.equal(after.status, "skipped", "a watcher sync queued behind an unload does not reload");
    assert.deepEqual(s.pool.list(), []);
    await assert.rejects(s.repository.unload("iris"), /no model named "iris" is loaded/);
  } finally {
    await s.pool.close();
    await s.cleanup();
  }
});

Deno.test("isFloatingRef and refFor tell moving references from fixed ones", () => {
  assert.deepEqual(
    ["iris", "iris@latest", "iris@best", "iris@production", "iris@3", "iris@v3"].map(isFloatingRef),
    [true, true, true, true, false, false],
  );
  assert.equal(refFor("iris", undefined), "iris@latest");
  assert.equal(refFor("iris", 3), "iris@3");
  assert.equal(refFor("iris", "production"), "iris@production");
  assert.throws(() => refFor("iris", "wine@2"), /parameters\.version: expected a version number/);
});
