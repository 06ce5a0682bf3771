import assert from "node:assert/strict";
import { createTestApp, postJson } from "../../../testing/server_app.ts";
import { createTestRegistry } from "../../../testing/server_registry.ts";

const ROW = { sepal_length: 1, sepal_width: 2, petal_length: 3, petal_width: 4 };

async function setup(serving: Record<string, unknown> = {}) {
  const t = await createTestRegistry({ iris: 3, wine: 1 });
  await t.registry.setStages("iris", 2, ["production"]);
  const test = createTestApp({ registry: t.registry, load: t.load, serving });
  return {
    ...t,
    ...test,
    async done() {
      await test.pool.close();
      await t.cleanup();
    },
  };
}

Deno.test("GET /v2 advertises model_repository only when the server has a registry", async () => {
  const s = await setup();
  try {
    assert.deepEqual((await (await s.app.request("/v2")).json()).extensions, ["model_repository"]);
    const bare = createTestApp();
    assert.deepEqual((await (await bare.app.request("/v2")).json()).extensions, []);
    assert.equal((await bare.app.request("/v2/repository/index")).status, 404);
  } finally {
    await s.done();
  }
});

Deno.test("repository load serves NAME@latest by default, or the version or stage asked for", async () => {
  const s = await setup();
  try {
    const latest = await postJson(s.app, "/v2/repository/models/iris/load", "");
    assert.equal(latest.status, 200, await latest.clone().text());
    assert.deepEqual(await latest.json(), {
      name: "iris",
      version: "3",
      ref: "iris@latest",
      state: "READY",
      action: "loaded",
    });
    const staged = await postJson(s.app, "/v2/repository/models/iris/load", {
      parameters: { version: "production" },
    });
    assert.equal((await staged.json()).version, "2");
    const byQuery = await s.app.request("/v2/repository/models/iris/load?version=1", { method: "POST" });
    assert.equal((await byQuery.json()).version, "1");
    const again = await postJson(s.app, "/v2/repository/models/iris/load", { parameters: { version: 1 } });
    assert.equal((await again.json()).action, "unchanged");
    assert.deepEqual(s.pool.versions("iris"), [1, 2, 3]);
    assert.deepEqual(s.pool.refs(), ["iris@1", "iris@latest", "iris@production"]);

    const predicted = await postJson(s.app, "/predict/tabular", {
      model: "iris",
      version: 2,
      instances: [ROW],
    });
    assert.equal((await predicted.json()).predictions[0].label, "versicolor", "version 2 favours class 1");
    const models = await (await s.app.request("/models")).json();
    assert.deepEqual(models.models.map((m: { refs: string[] }) => m.refs), [
      ["iris@1"],
      ["iris@production"],
      ["iris@latest"],
    ]);
  } finally {
    await s.done();
  }
});

Deno.test("repository load switches a served reference whose stage moved and records it in /models and /metrics", async () => {
  const s = await setup();
  try {
    await postJson(s.app, "/v2/repository/models/iris/load", { parameters: { version: "production" } });
    await s.registry.setStages("iris", 3, ["production"], { exclusive: true });
    const res = await postJson(s.app, "/v2/repository/models/iris/load", {
      parameters: { version: "production" },
    });
    assert.deepEqual(await res.json(), {
      name: "iris",
      version: "3",
      ref: "iris@production",
      state: "READY",
      action: "switched",
      previous_version: "2",
    });
    const models = await (await s.app.request("/models")).json();
    assert.deepEqual(models.models.map((m: { version: number }) => m.version), [3]);
    assert.deepEqual(models.swaps.map((e: { from: number; to: number }) => [e.from, e.to]), [[2, 3]]);
    const text = await (await s.app.request("/metrics")).text();
    assert.match(text, /^mmml_model_swaps_total\{model="iris"\} 1$/m);
    assert.match(text, /^mmml_model_info\{model="iris",version="3",.*refs="iris@production"\} 1$/m);
  } finally {
    await s.done();
  }
});

Deno.test("repository index lists every registered version with its state, by GET or POST", async () => {
  const s = await setup();
  try {
    await postJson(s.app, "/v2/repository/models/wine/load", {});
    const all = await (await s.app.request("/v2/repository/index")).json();
    assert.deepEqual(all, [
      { name: "iris", version: "1", state: "UNAVAILABLE", reason: "" },
      { name: "iris", version: "2", state: "UNAVAILABLE", reason: "" },
      { name: "iris", version: "3", state: "UNAVAILABLE", reason: "" },
      { name: "wine", version: "1", state: "READY", reason: "" },
    ]);
    const ready = await postJson(s.app, "/v2/repository/index", { ready: true });
    assert.deepEqual((await ready.json()).map((e: { name: string }) => e.name), ["wine"]);
    const empty = await s.app.request("/v2/repository/index", { method: "POST" });
    assert.equal((await empty.json()).length, 4, "an empty POST body is the whole index");
    assert.deepEqual((await (await s.app.request("/v2/repository/index?ready=1")).json()).length, 1);
  } finally {
    await s.done();
  }
});

Deno.test("repository unload drains and removes a model; its requests get 404 afterwards", async () => {
  const s = await setup();
  try {
    await postJson(s.app, "/v2/repository/models/iris/load", { parameters: { version: "production" } });
    const res = await postJson(s.app, "/v2/repository/models/iris/unload", {
      parameters: { unload_dependents: false },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { name: "iris", state: "UNAVAILABLE", unloaded_versions: ["2"] });
    assert.equal(s.loads[0].closed, true, "unload answers once the version is closed");
    const predicted = await postJson(s.app, "/predict/tabular", { model: "iris", instances: [ROW] });
    assert.equal(predicted.status, 404);
    const infer = await postJson(s.app, "/v2/models/iris/infer", {
      inputs: [{ name: "features", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
    });
    assert.equal(infer.status, 404);
    assert.match((await infer.json()).error, /no model named "iris" is loaded/);
    assert.equal((await (await s.app.request("/ready")).json()).ready, true);
  } finally {
    await s.done();
  }
});

Deno.test("repository errors are {error: string}: unknown model 404, bad bodies 400/415", async () => {
  const s = await setup();
  try {
    const cases: [string, string | Record<string, unknown>, number, RegExp][] = [
      [
        "/v2/repository/models/nope/load",
        {},
        404,
        /Model "nope@latest" not found.*available models are iris, wine/,
      ],
      ["/v2/repository/models/nope/unload", {}, 404, /no model named "nope" is loaded/],
      ["/v2/repository/models/iris/load", { parameters: { version: "gold" } }, 404, /gold/],
      ["/v2/repository/models/iris/load", { parameters: { version: 0 } }, 400, /parameters\.version/],
      [
        "/v2/repository/models/iris/load",
        { parameters: { config: "{}" } },
        400,
        /Unrecognized key: "config"/,
      ],
      ["/v2/repository/models/iris/load", "{oops", 400, /not valid JSON/],
      ["/v2/repository/index", { ready: "yes" }, 400, /ready: Invalid input: expected boolean/],
    ];
    for (const [path, body, status, message] of cases) {
      const res = await postJson(s.app, path, body);
      assert.equal(res.status, status, `${path} ${JSON.stringify(body)}`);
      const json = await res.json();
      assert.equal(typeof json.error, "string", JSON.stringify(json));
      assert.match(json.error, message);
    }
    const text = await s.app.request("/v2/repository/models/iris/load", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "iris",
    });
    assert.equal(text.status, 415);
    const both = await postJson(s.app, "/v2/repository/models/iris/load?version=1", {
      parameters: { version: "2" },
    });
    assert.equal(both.status, 400);
    assert.match((await both.json()).error, /disagree/);
    assert.equal((await s.app.request("/v2/repository/index?ready=maybe")).status, 400);
  } finally {
    await s.done();
  }
});

Deno.test("repository routes need the API key when auth is on", async () => {
  const s = await setup({ auth: { enabled: true, keys: ["k1"] } });
  try {
    assert.equal((await s.app.request("/v2/repository/index")).status, 401);
    assert.equal((await postJson(s.app, "/v2/repository/models/wine/load", {})).status, 401);
    assert.equal((await postJson(s.app, "/v2/repository/models/wine/unload", {})).status, 401);
    assert.deepEqual(s.pool.list(), [], "an unauthorized load loads nothing");
    const ok = await postJson(s.app, "/v2/repository/models/wine/load", {}, { "x-api-key": "k1" });
    assert.equal(ok.status, 200);
    const index = await s.app.request("/v2/repository/index", { headers: { "x-api-key": "k1" } });
    assert.equal(index.status, 200);
  } finally {
    await s.done();
  }
});
