import assert from "node:assert/strict";
import { ServingConfig } from "../config/schema.ts";
import { createMemoryLogger } from "../log.ts";
import { createFileRegistry } from "../registry/file_registry.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { startServer } from "./start_server.ts";
import { createLinearPredictor } from "../../testing/server_predictor.ts";

async function registryWith(models: string[]) {
  const root = await Deno.makeTempDir({ prefix: "mmml_start_server_" });
  const registry = createFileRegistry(root);
  for (const name of models) {
    await registry.register(name, {
      task: "tabular",
      arch: "mlp",
      backend: "cpu",
      classes: ["setosa", "versicolor", "virginica"],
      metrics: {},
      timings: {},
      data_fingerprint: "f",
      input_shape: [4],
    }, (dir) => Deno.writeTextFile(`${dir}/classes.json`, '["setosa","versicolor","virginica"]'));
  }
  return { root, registry };
}

const load = (version: ModelVersion) =>
  Promise.resolve(createLinearPredictor({ name: version.meta.name, version: version.meta.version }));
const config = ServingConfig.parse({ port: 0 });

Deno.test("startServer answers /health at once and /ready once the models have loaded", async () => {
  const { root, registry } = await registryWith(["iris"]);
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const { server, pool, loaded } = await startServer({
    config,
    registry,
    logger: createMemoryLogger(),
    refs: ["iris@1"],
    load: async (v) => {
      await gate;
      return load(v);
    },
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    assert.equal((await (await fetch(`${base}/health`)).json()).status, "ok");
    const early = await fetch(`${base}/ready`);
    assert.equal(early.status, 503);
    assert.match((await early.json()).error.message, /still loading: iris@1/);
    release();
    assert.deepEqual(await loaded, []);
    const ready = await fetch(`${base}/ready`);
    assert.deepEqual(await ready.json(), { ready: true, models: ["iris@1"] });
  } finally {
    await server.shutdown();
    await pool.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("startServer serves the latest version of every registered model when none is named", async () => {
  const { root, registry } = await registryWith(["iris", "iris", "wine"]);
  const { server, pool, loaded } = await startServer({
    config,
    registry,
    logger: createMemoryLogger(),
    load,
  });
  try {
    assert.deepEqual(await loaded, []);
    assert.deepEqual(pool.list().map((p) => `${p.name}@${p.version}`), ["iris@2", "wine@1"]);
    assert.equal(pool.readiness().ready, true);
  } finally {
    await server.shutdown();
    await pool.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("startServer reports a model that cannot be loaded and stays not ready", async () => {
  const { root, registry } = await registryWith(["iris"]);
  const logger = createMemoryLogger();
  const { server, pool, loaded } = await startServer({
    config,
    registry,
    logger,
    refs: ["iris", "nope"],
    load,
  });
  try {
    const failures = await loaded;
    assert.equal(failures.length, 1);
    assert.equal(failures[0].ref, "nope");
    assert.match(failures[0].message, /Model "nope" not found/);
    const ready = await fetch(`http://127.0.0.1:${server.addr.port}/ready`);
    assert.equal(ready.status, 503);
    assert.match((await ready.json()).error.message, /failed to load nope: Model "nope" not found/);
    assert.ok(logger.lines.some((l) => l.includes("cannot load model nope")));
  } finally {
    await server.shutdown();
    await pool.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("startServer gathers the doctor report once the models have loaded and shows it in /health", async () => {
  const { root, registry } = await registryWith(["iris"]);
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const events: string[] = [];
  const started = await startServer({
    config,
    registry,
    logger: createMemoryLogger(),
    refs: ["iris@1"],
    load: async (v) => {
      await gate;
      events.push("loaded");
      return load(v);
    },
    doctor: () => {
      events.push("doctor");
      return Promise.resolve({
        problems: [],
        onnxruntime: { providers: [{ provider: "cpu", available: true }] },
      });
    },
  });
  const { server, pool, loaded, close } = started;
  const health = async () => (await (await fetch(`http://127.0.0.1:${server.addr.port}/health`)).json());
  try {
    assert.deepEqual((await health()).doctor, { state: "not_started" }, "readiness comes first");
    release();
    await loaded;
    await started.hostReport!.gather();
    assert.deepEqual(events, ["loaded", "doctor"]);
    const body = await health();
    assert.equal(body.status, "ok");
    assert.equal(body.doctor.state, "ready");
    assert.deepEqual(body.doctor.report.onnxruntime.providers, [{ provider: "cpu", available: true }]);
  } finally {
    await server.shutdown();
    await close();
    await pool.close();
    await Deno.remove(root, { recursive: true });
  }
});
