import assert from "node:assert/strict";
import { createTestApp, postJson } from "../../testing/server_app.ts";
import { createLinearPredictor } from "../../testing/server_predictor.ts";

const row = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
const errorOf = async (res: Response) => (await res.json()).error;

Deno.test("createApp: a body over max_body_bytes is 413 stating the limit, by Content-Length or by counting", async () => {
  const { app } = createTestApp({ predictors: [createLinearPredictor()], serving: { max_body_bytes: 1024 } });
  const big = JSON.stringify({ model: "iris", instances: Array.from({ length: 40 }, () => row) });
  assert.ok(big.length > 1024);
  // A Request built in-process carries no Content-Length unless told; a real client sends one.
  const declared = await postJson(app, "/predict/tabular", big, { "content-length": String(big.length) });
  assert.equal(declared.status, 413);
  assert.deepEqual(await errorOf(declared), {
    code: "payload_too_large",
    message:
      `Request body is over the limit of 1 KiB (1024 bytes); received a Content-Length of ${big.length} bytes`,
  });
  // A streamed body has no Content-Length: the bytes are counted as they arrive.
  const bytes = new TextEncoder().encode(big);
  const stream = new ReadableStream<Uint8Array>({
    start(ctl) {
      for (let i = 0; i < bytes.length; i += 100) ctl.enqueue(bytes.slice(i, i + 100));
      ctl.close();
    },
  });
  const streamed = await app.request("/predict/tabular", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: stream,
  });
  assert.equal(streamed.status, 413);
  assert.match(
    (await errorOf(streamed)).message,
    /over the limit of 1 KiB \(1024 bytes\); received more than 1024 bytes/,
  );
  const small = await postJson(app, "/predict/tabular", { model: "iris", instances: [row] });
  assert.equal(small.status, 200);
});

Deno.test("createApp: wrong content type is 415, bad JSON or bad UTF-8 or no body is 400", async () => {
  const { app } = createTestApp({ predictors: [createLinearPredictor()] });
  const post = (body: BodyInit | null, type?: string) =>
    app.request("/predict/tabular", { method: "POST", body, headers: type ? { "content-type": type } : {} });
  const plain = await post(JSON.stringify({ model: "iris", instances: [row] }), "text/plain");
  assert.equal(plain.status, 415);
  assert.deepEqual(await errorOf(plain), {
    code: "unsupported_media_type",
    message: 'Content-Type: expected application/json, received "text/plain"',
  });
  assert.equal((await post("{}", undefined)).status, 415);
  const broken = await post('{"model": "iris", "instances": [', "application/json");
  assert.equal(broken.status, 400);
  assert.match((await errorOf(broken)).message, /^Request body is not valid JSON: /);
  const latin1 = await post(new Uint8Array([0x7b, 0xff, 0x7d]), "application/json");
  assert.equal(latin1.status, 400);
  assert.match((await errorOf(latin1)).message, /not valid UTF-8/);
  const empty = await post(null, "application/json; charset=utf-8");
  assert.equal(empty.status, 400);
  assert.match((await errorOf(empty)).message, /Request body is empty/);
});

Deno.test("createApp: a request over request_timeout_ms is 504", async () => {
  const { app } = createTestApp({
    predictors: [createLinearPredictor({ delayMs: 150 })],
    serving: { request_timeout_ms: 30 },
  });
  const res = await postJson(app, "/predict/tabular", { model: "iris", instances: [row] });
  assert.equal(res.status, 504);
  assert.deepEqual(await errorOf(res), {
    code: "timeout",
    message: "Request took longer than the limit of 30 ms (serving.request_timeout_ms)",
  });
  await new Promise((r) => setTimeout(r, 200)); // let the abandoned prediction finish
});

Deno.test("createApp: API-key auth guards every route but health, readiness, server metadata and metrics", async () => {
  const { app } = createTestApp({
    predictors: [createLinearPredictor()],
    serving: { auth: { enabled: true, header: "x-api-key", keys: ["k-one", "k-two"] } },
  });
  const body = { model: "iris", instances: [row] };
  const none = await postJson(app, "/predict/tabular", body);
  assert.equal(none.status, 401);
  assert.deepEqual(await errorOf(none), {
    code: "unauthorized",
    message: 'Missing API key: send it in header "x-api-key"',
  });
  const wrong = await postJson(app, "/predict/tabular", body, { "x-api-key": "k-on" });
  assert.equal(wrong.status, 401);
  assert.equal((await postJson(app, "/predict/tabular", body, { "x-api-key": "k-two" })).status, 200);
  const infer = { inputs: [{ name: "features", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] };
  const v2 = await postJson(app, "/v2/models/iris/versions/1/infer", infer);
  assert.equal(v2.status, 401);
  assert.deepEqual(await v2.json(), { error: 'Missing API key: send it in header "x-api-key"' });
  assert.equal((await postJson(app, "/v2/models/iris/infer", infer, { "x-api-key": "k-one" })).status, 200);
  for (const open of ["/health", "/ready", "/metrics", "/v2", "/v2/health/live", "/v2/models/iris/ready"]) {
    assert.notEqual((await app.request(open)).status, 401, open);
  }
  for (const closed of ["/models", "/v2/models/iris", "/v2/models/iris/versions/1", "/v2/repository/index"]) {
    assert.equal((await app.request(closed)).status, 401, closed);
  }
  assert.equal((await app.request("/v2/models/iris", { headers: { "x-api-key": "k-one" } })).status, 200);
  assert.throws(
    () => createTestApp({ serving: { auth: { enabled: true } } }),
    /auth.enabled is true but no API keys are configured/,
  );
});

Deno.test("createApp: auth is off by default", async () => {
  const { app } = createTestApp({ predictors: [createLinearPredictor()] });
  assert.equal((await postJson(app, "/predict/tabular", { model: "iris", instances: [row] })).status, 200);
});

Deno.test("createApp writes one JSON access-log line per request and echoes the request id", async () => {
  const { app, logger } = createTestApp({ predictors: [createLinearPredictor()] });
  const res = await postJson(app, "/predict/tabular", { model: "iris", instances: [row, row] }, {
    "x-request-id": "abc-123",
  });
  assert.equal(res.headers.get("x-request-id"), "abc-123");
  const generated = await app.request("/nope", { headers: { "x-request-id": "bad id with spaces" } });
  assert.match(generated.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  const lines = logger.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
  assert.equal(lines.length, 2);
  const { time: _time, latency_ms, ...first } = lines[0];
  assert.ok(latency_ms >= 0);
  assert.deepEqual(first, {
    level: "info",
    msg: "request",
    request_id: "abc-123",
    method: "POST",
    route: "/predict/tabular",
    path: "/predict/tabular",
    status: 200,
    model: "iris@1",
    batch_size: 2,
  });
  assert.equal(lines[1].route, "unmatched");
  assert.equal(lines[1].status, 404);
});

Deno.test("createApp: an unexpected failure is a logged 500 with code internal, and nothing leaks", async () => {
  const p = createLinearPredictor();
  const { app, logger } = createTestApp({ predictors: [p] });
  await p.close(); // the predictor now throws a plain Error: a server fault, not bad input
  const res = await postJson(app, "/predict/tabular", { model: "iris", instances: [row] }, {
    "x-request-id": "r-500",
  });
  assert.equal(res.status, 500);
  assert.deepEqual(await errorOf(res), {
    code: "internal",
    message: "Internal server error; the failure was logged",
  });
  const logged = logger.lines.map((l) => JSON.parse(l)).find((l) => l.level === "error");
  assert.equal(logged.request_id, "r-500");
  assert.match(logged.error, /Predictor iris@1 is closed/);
});

Deno.test("createApp: wrong method is 405 with Allow, unknown path 404, in the route's error shape", async () => {
  const { app } = createTestApp({ predictors: [createLinearPredictor()] });
  const get = await app.request("/predict/tabular");
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  assert.equal((await errorOf(get)).code, "method_not_allowed");
  const v2 = await app.request("/v2/models/iris/infer");
  assert.equal(v2.status, 405);
  assert.deepEqual(await v2.json(), {
    error: "Method GET is not allowed on /v2/models/iris/infer; allowed: POST",
  });
  const none = await app.request("/nowhere");
  assert.equal(none.status, 404);
  assert.deepEqual(await errorOf(none), { code: "not_found", message: "No route for GET /nowhere" });
});

Deno.test("random method names and paths fold into bounded metric labels", async () => {
  const { app } = createTestApp({ predictors: [createLinearPredictor()] });
  // Series, not bytes: counts grow digits, but no request may add a line.
  const size = async () => (await (await app.request("/metrics")).text()).split("\n").length;
  await app.request("/health", { method: "XGET0" });
  await app.request("/nope0");
  await size(); // the scrape's own series
  const before = await size();
  for (let i = 1; i <= 300; i++) {
    await app.request(`/health`, { method: `XGET${i}` });
    await app.request(`/nope${i}`);
  }
  const after = await size();
  assert.equal(after, before, `/metrics grew from ${before} to ${after} lines`);
  assert.match(await (await app.request("/metrics")).text(), /method="other"/);
});
