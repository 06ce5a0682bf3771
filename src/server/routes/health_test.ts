import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { ServingConfig } from "../../config/schema.ts";
import { createMemoryLogger } from "../../log.ts";
import { createHostReport } from "../../host/host_report.ts";
import { createModelPool } from "../model_pool.ts";
import { createTestApp } from "../../../testing/server_app.ts";
import { createLinearPredictor } from "../../../testing/server_predictor.ts";

Deno.test("GET /health is live with process facts even before models load", async () => {
  const { app } = createTestApp({ requested: ["iris@2"] });
  const res = await app.request("/health");
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, "ok");
  assert.equal(body.pid, Deno.pid);
  assert.equal(body.deno, Deno.version.deno);
  assert.ok(body.memory.rss_bytes > 0);
  assert.ok(body.uptime_s >= 0);
  assert.equal(body.models_loaded, 0);
  assert.equal(body.ready, false);
  assert.ok(!("doctor" in body), "no doctor block when the server gathers none");
});

Deno.test("GET /health shows the doctor report once gathered, and where gathering stands before", async () => {
  const facts = { backends: [{ name: "wasm", available: true }], problems: [] };
  let finish!: () => void;
  const hostReport = createHostReport(() => new Promise((resolve) => (finish = () => resolve(facts))));
  const app = createApp({
    pool: createModelPool({ requested: [] }),
    logger: createMemoryLogger(),
    config: ServingConfig.parse({}),
    hostReport,
  });
  const doctor = async () => (await (await app.request("/health")).json()).doctor;
  assert.deepEqual(await doctor(), { state: "not_started" });
  const gathered = hostReport.gather();
  assert.deepEqual(await doctor(), { state: "gathering" });
  finish();
  await gathered;
  const ready = await doctor();
  assert.equal(ready.state, "ready");
  assert.deepEqual(ready.report, facts);
  assert.ok(ready.seconds >= 0);
});

Deno.test("GET /ready is 503 naming what is missing until the requested models load", async () => {
  const { app, pool } = createTestApp({ requested: ["iris@2"] });
  const before = await app.request("/ready");
  assert.equal(before.status, 503);
  assert.deepEqual(await before.json(), {
    error: { code: "not_ready", message: "Not ready; still loading: iris@2" },
  });
  const early = await app.request("/predict/tabular", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "iris", instances: [{}] }),
  });
  assert.equal(early.status, 503, "a model still loading is 503, not 404");
  pool.add(createLinearPredictor({ version: 2 }), { ref: "iris@2" });
  const after = await app.request("/ready");
  assert.equal(after.status, 200);
  assert.deepEqual(await after.json(), { ready: true, models: ["iris@2"] });
});

Deno.test("GET /health shows no password of a registry URL, in the report or a gathering error", async () => {
  const url = "postgres://mmml:hunter2@db.internal:5432/models";
  for (
    const gather of [
      () =>
        Promise.resolve({ registry: { location: url, error: `cannot reach ${url}` }, disk: { path: url } }),
      () => Promise.reject(new Error(`connect ECONNREFUSED ${url}`)),
    ]
  ) {
    const hostReport = createHostReport(gather);
    const app = createApp({
      pool: createModelPool({ requested: [] }),
      logger: createMemoryLogger(),
      config: ServingConfig.parse({}),
      hostReport,
    });
    await hostReport.gather();
    const text = await (await app.request("/health")).text();
    assert.ok(!text.includes("hunter2"), text);
    assert.match(text, /postgres:\/\/mmml:\*\*\*@db\.internal:5432\/models/);
  }
});

Deno.test("with API keys on, /health stays open but shows the host report only to a valid key", async () => {
  const hostReport = createHostReport(() => Promise.resolve({ disk: { path: "/srv/models" } }));
  await hostReport.gather();
  const app = createApp({
    pool: createModelPool({ requested: [] }),
    logger: createMemoryLogger(),
    config: ServingConfig.parse({ auth: { enabled: true, keys: ["k1"] } }),
    hostReport,
  });
  const open = await app.request("/health");
  assert.equal(open.status, 200);
  assert.ok(!("doctor" in await open.json()));
  const keyed = await (await app.request("/health", { headers: { "x-api-key": "k1" } })).json();
  assert.equal(keyed.doctor.report.disk.path, "/srv/models");
});
