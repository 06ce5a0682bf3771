import assert from "node:assert/strict";
import { createTestApp, postJson } from "../../../testing/server_app.ts";
import { createLinearPredictor } from "../../../testing/server_predictor.ts";

const model = () =>
  createLinearPredictor({
    name: "tiny",
    columns: ["x0", "x1"],
    classes: ["a", "b"],
    weights: [[1, 0], [0, 1]],
    bias: [0, 0],
  });

Deno.test("GET /v2 and the v2 health routes answer as the protocol says", async () => {
  const { app, pool } = createTestApp({ predictors: [model()], requested: ["tiny@1", "other"] });
  assert.deepEqual(await (await app.request("/v2")).json(), {
    name: "mmml",
    version: "test",
    extensions: [],
  });
  assert.deepEqual(await (await app.request("/v2/health/live")).json(), { live: true });
  const notReady = await app.request("/v2/health/ready");
  assert.equal(notReady.status, 503);
  assert.deepEqual(await notReady.json(), { error: "Not ready; still loading: other" });
  pool.add(createLinearPredictor({ name: "other" }), { ref: "other" });
  const ready = await app.request("/v2/health/ready");
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { ready: true });
});

Deno.test("GET /v2/models/{name}[/versions/{v}] gives metadata with string versions, tensor metas and the provider", async () => {
  const { app } = createTestApp({
    predictors: [
      model(),
      createLinearPredictor({
        name: "tiny",
        version: 2,
        columns: ["x0", "x1"],
        classes: ["a", "b"],
        provider: "cuda",
      }),
    ],
  });
  const all = await (await app.request("/v2/models/tiny")).json();
  assert.deepEqual(all, {
    name: "tiny",
    versions: ["1", "2"],
    platform: "onnx",
    inputs: [{ name: "features", datatype: "FP32", shape: [-1, 2] }],
    outputs: [{ name: "probabilities", datatype: "FP32", shape: [-1, 2] }, {
      name: "label",
      datatype: "INT64",
      shape: [-1],
    }],
    parameters: { provider: "cuda" },
  });
  const first = await (await app.request("/v2/models/tiny/versions/1")).json();
  assert.deepEqual(first.versions, ["1"]);
  assert.deepEqual(first.parameters, { provider: "cpu" }, "each version reports its own provider");
  assert.deepEqual(await (await app.request("/v2/models/tiny/versions/2/ready")).json(), {
    name: "tiny",
    ready: true,
  });
  assert.deepEqual(await (await app.request("/v2/models/tiny/ready")).json(), { name: "tiny", ready: true });
  const missing = await app.request("/v2/models/nope");
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /no model named "nope"/);
  const badVersion = await app.request("/v2/models/tiny/versions/abc");
  assert.equal(badVersion.status, 404);
  assert.deepEqual(await badVersion.json(), {
    error: 'version: model "tiny" has no version "abc"; versions are positive integers',
  });
});

Deno.test("POST /v2/models/{name}/infer computes outputs from named tensors, nested or flat", async () => {
  const { app } = createTestApp({ predictors: [model()] });
  for (const data of [[[2, 0], [0, 3]], [2, 0, 0, 3]]) {
    const res = await postJson(app, "/v2/models/tiny/infer", {
      id: "req-7",
      inputs: [{ name: "features", shape: [2, 2], datatype: "FP32", data }],
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.model_name, "tiny");
    assert.equal(body.model_version, "1");
    assert.equal(body.id, "req-7");
    const [probs, labels] = body.outputs;
    assert.deepEqual([probs.name, probs.shape, probs.datatype], ["probabilities", [2, 2], "FP32"]);
    const pa = Math.exp(2) / (Math.exp(2) + 1);
    const pb = Math.exp(3) / (Math.exp(3) + 1);
    const expected = [pa, 1 - pa, 1 - pb, pb];
    probs.data.forEach((v: number, i: number) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `data[${i}]`));
    assert.deepEqual(labels, { name: "label", shape: [2], datatype: "INT64", data: [0, 1] });
  }
});

Deno.test("POST .../versions/{v}/infer honours the requested outputs", async () => {
  const { app } = createTestApp({ predictors: [model()] });
  const res = await postJson(app, "/v2/models/tiny/versions/1/infer", {
    inputs: [{ name: "features", shape: [1, 2], datatype: "FP32", data: [1, 1] }],
    outputs: [{ name: "label" }],
  });
  const body = await res.json();
  assert.deepEqual(body.outputs.map((o: { name: string }) => o.name), ["label"]);
  assert.equal(typeof body.id, "string");
  const bad = await postJson(app, "/v2/models/tiny/infer", {
    inputs: [{ name: "features", shape: [1, 2], datatype: "FP32", data: [1, 1] }],
    outputs: [{ name: "logits" }],
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), {
    error: 'outputs[0].name: model "tiny" has no output "logits"; its outputs: probabilities, label',
  });
});

Deno.test("POST .../infer errors are {error: string} with 400 naming the field, 404 for unknown models", async () => {
  const p = model();
  const { app } = createTestApp({ predictors: [p] });
  const cases: [unknown, number, RegExp][] = [
    [
      { inputs: [{ name: "features", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] },
      400,
      /inputs\[0\]\.shape: .*expects \[-1, 2\]/,
    ],
    [
      { inputs: [{ name: "features", shape: [2, 2], datatype: "FP32", data: [1, 2, 3] }] },
      400,
      /holds 4 values, received 3/,
    ],
    [
      { inputs: [{ name: "features", shape: [1, 2], datatype: "FP32", data: [1, null] }] },
      400,
      /data\[1\].*received null/,
    ],
    [
      { inputs: [{ name: "features", shape: [1, 2], datatype: "FP32" }] },
      400,
      /inputs\[0\]\.data: Invalid input: expected array/,
    ],
    [
      { inputs: [{ name: "features", shape: "1,2", datatype: "FP32", data: [1, 2] }] },
      400,
      /inputs\[0\]\.shape/,
    ],
    [
      { inputs: [{ name: "features", shape: [1, 2], datatype: "FP8", data: [1, 2] }] },
      400,
      /inputs\[0\]\.datatype: Invalid option/,
    ],
    [{ input: [] }, 400, /Unrecognized key: "input"/],
  ];
  for (const [body, status, message] of cases) {
    const res = await postJson(app, "/v2/models/tiny/infer", body);
    assert.equal(res.status, status, JSON.stringify(body));
    const json = await res.json();
    assert.equal(typeof json.error, "string");
    assert.match(json.error, message);
  }
  const unknown = await postJson(app, "/v2/models/nope/infer", {
    inputs: [{ name: "features", shape: [1, 2], datatype: "FP32", data: [1, 2] }],
  });
  assert.equal(unknown.status, 404);
  assert.equal(p.calls.length, 0, "no malformed request reached the predictor");
});
