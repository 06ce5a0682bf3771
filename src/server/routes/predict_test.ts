import assert from "node:assert/strict";
import { createTestApp, postJson } from "../../../testing/server_app.ts";
import { createLinearPredictor } from "../../../testing/server_predictor.ts";

/** Two features, identity weights: p(a) = e^x0 / (e^x0 + e^x1). */
const tiny = (options = {}) =>
  createLinearPredictor({
    name: "tiny",
    columns: ["x0", "x1"],
    classes: ["a", "b"],
    weights: [[1, 0], [0, 1]],
    bias: [0, 0],
    ...options,
  });

Deno.test("POST /predict/tabular returns the model's label and probabilities per instance", async () => {
  const { app } = createTestApp({ predictors: [tiny()] });
  const res = await postJson(app, "/predict/tabular", {
    model: "tiny",
    instances: [{ x0: 2, x1: 0 }, { x0: 0, x1: 1 }],
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.model, "tiny");
  assert.equal(body.version, 1);
  const pa = Math.exp(2) / (Math.exp(2) + 1);
  assert.equal(body.predictions[0].label, "a");
  assert.ok(Math.abs(body.predictions[0].probabilities.a - pa) < 1e-12);
  assert.ok(Math.abs(body.predictions[0].probabilities.b - (1 - pa)) < 1e-12);
  assert.equal(body.predictions[1].label, "b");
  assert.ok(Math.abs(body.predictions[1].probabilities.b - Math.E / (1 + Math.E)) < 1e-12);
});

Deno.test("POST /predict/tabular picks the asked version, else the highest loaded", async () => {
  const v1 = tiny({ version: 1, weights: [[1, 0], [0, 1]] });
  const v2 = tiny({ version: 2, weights: [[0, 1], [1, 0]] });
  const { app } = createTestApp({ predictors: [v1, v2] });
  const row = { x0: 3, x1: 0 };
  const latest = await (await postJson(app, "/predict/tabular", { model: "tiny", instances: [row] })).json();
  const first =
    await (await postJson(app, "/predict/tabular", { model: "tiny", version: 1, instances: [row] })).json();
  assert.equal(latest.version, 2);
  assert.equal(latest.predictions[0].label, "b");
  assert.equal(first.version, 1);
  assert.equal(first.predictions[0].label, "a");
  const missing = await postJson(app, "/predict/tabular", { model: "tiny", version: 9, instances: [row] });
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error.message, /no loaded version 9; loaded versions: 1, 2/);
});

Deno.test("POST /predict/tabular merges concurrent requests into one predictor call, results in order", async () => {
  const p = tiny();
  const { app, logger, metrics } = createTestApp({
    predictors: [p],
    serving: { batching: { max_wait_ms: 20 } },
  });
  const rows = Array.from({ length: 12 }, (_, i) => ({ x0: i % 3, x1: (i * 7) % 5 }));
  const responses = await Promise.all(
    rows.map((r) => postJson(app, "/predict/tabular", { model: "tiny", instances: [r] })),
  );
  const bodies = await Promise.all(responses.map((r) => r.json()));
  assert.deepEqual(p.calls, [12], "twelve concurrent one-row requests make one call of twelve rows");
  bodies.forEach((b, i) => {
    const { x0, x1 } = rows[i];
    const pa = Math.exp(x0) / (Math.exp(x0) + Math.exp(x1));
    assert.ok(
      Math.abs(b.predictions[0].probabilities.a - pa) < 1e-12,
      `request ${i} got another request's answer`,
    );
  });
  assert.ok(logger.lines.some((l) => JSON.parse(l).batch_size === 12));
  assert.equal(metrics.batchSize.get({ model: "tiny" }).count, 1);
  assert.equal(metrics.batchSize.get({ model: "tiny" }).sum, 12);
});

Deno.test("POST /predict/tabular: one request's bad row fails only that request", async () => {
  const p = tiny();
  const { app } = createTestApp({ predictors: [p], serving: { batching: { max_wait_ms: 20 } } });
  const [good1, bad, good2] = await Promise.all([
    postJson(app, "/predict/tabular", { model: "tiny", instances: [{ x0: 1, x1: 0 }] }),
    postJson(app, "/predict/tabular", { model: "tiny", instances: [{ x0: 1, x1: 0 }, { x0: "ten", x1: 0 }] }),
    postJson(app, "/predict/tabular", { model: "tiny", instances: [{ x0: 0, x1: 1 }] }),
  ]);
  assert.equal(good1.status, 200);
  assert.equal(good2.status, 200);
  assert.equal((await good2.json()).predictions[0].label, "b");
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), {
    error: {
      code: "validation_failed",
      message: 'row 1, column "x0": expected a finite number, received "ten"',
    },
  });
});

Deno.test("POST /predict/tabular ignores and names columns the model does not read, or refuses them on request", async () => {
  const body = { model: "tiny", instances: [{ x0: 1, x1: 2, id: "a" }, { x0: 1, x1: 2, note: "b" }] };
  const lenient = await postJson(createTestApp({ predictors: [tiny()] }).app, "/predict/tabular", body);
  assert.equal(lenient.status, 200);
  const answer = await lenient.json();
  assert.equal(answer.predictions.length, 2);
  assert.deepEqual(answer.ignored_columns, ["id", "note"]);
  const strict = createTestApp({ predictors: [tiny()], serving: { extra_columns: "error" } }).app;
  const refused = await postJson(strict, "/predict/tabular", body);
  assert.equal(refused.status, 400);
  assert.match((await refused.json()).error.message, /column\(s\) "id", "note" are not inputs of tiny/);
});

Deno.test("POST /predict/tabular names the field of a malformed body", async () => {
  const { app } = createTestApp({ predictors: [tiny()] });
  const cases: [unknown, RegExp][] = [
    [{ model: "tiny" }, /instances: Invalid input: expected array, received undefined/],
    [{ model: "tiny", instances: [] }, /instances: Too small/],
    [{ model: 3, instances: [{}] }, /model: Invalid input: expected string, received number/],
    [{ model: "tiny", instances: [{ x0: 1, x1: 1 }], extra: true }, /body: Unrecognized key: "extra"/],
    [
      { model: "tiny", instances: [5] },
      /instances\[0\]: expected an object of column values, received number/,
    ],
    [{ model: "tiny", version: 1.5, instances: [{}] }, /version: Invalid input: expected int/],
    [{ model: "tiny", instances: [{ x0: 1 }] }, /row 0, column "x1": missing/],
    [[1, 2], /expected a JSON object, received an array of 2/],
  ];
  for (const [body, message] of cases) {
    const res = await postJson(app, "/predict/tabular", body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match((await res.json()).error.message, message);
  }
});

const png = (fill: number, n = 64) => {
  const bytes = new Uint8Array(n).fill(fill);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return bytes;
};
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const imageModel = () =>
  createLinearPredictor({
    name: "pets",
    task: "image",
    classes: ["cat", "dog", "fox"],
    weights: [[4, 0], [-4, 0], [0, 1]],
    bias: [0, 2, 0],
  });

Deno.test("POST /predict/image takes several multipart files and returns top-k labels", async () => {
  const p = imageModel();
  const { app } = createTestApp({ predictors: [p], serving: { top_k: 2 } });
  const form = new FormData();
  form.append("model", "pets");
  form.append("file", new File([png(250)], "bright.png", { type: "image/png" }));
  form.append("file", new File([png(5)], "dark.png", { type: "image/png" }));
  const res = await app.request("/predict/image", { method: "POST", body: form });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.predictions.length, 2);
  assert.equal(body.predictions[0].label, "cat");
  assert.equal(body.predictions[1].label, "dog");
  for (const pred of body.predictions) {
    assert.equal(pred.top_k.length, 2);
    assert.equal(pred.top_k[0].label, pred.label);
    assert.ok(pred.top_k[0].probability >= pred.top_k[1].probability);
    assert.equal(pred.top_k[0].probability, pred.probabilities[pred.label]);
  }
  assert.deepEqual(p.calls, [2]);
});

Deno.test("POST /predict/image takes JSON with base64 images (data URLs too)", async () => {
  const { app } = createTestApp({ predictors: [imageModel()] });
  const res = await postJson(app, "/predict/image", {
    model: "pets",
    images: [base64(png(250)), `data:image/png;base64,${base64(png(5))}`],
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.predictions.map((p: { label: string }) => p.label), ["cat", "dog"]);
  assert.equal(body.predictions[0].top_k.length, 3);
});

Deno.test("POST /predict/image refuses bad uploads with 400 or 415 and a clear message", async () => {
  const { app } = createTestApp({ predictors: [imageModel(), tiny()] });
  const expect = async (res: Response, status: number, message: RegExp) => {
    assert.equal(res.status, status);
    assert.match((await res.json()).error.message, message);
  };
  await expect(
    await postJson(app, "/predict/image", { model: "pets", images: ["%%%"] }),
    400,
    /images\[0\]: expected base64/,
  );
  await expect(
    await postJson(app, "/predict/image", { model: "pets", images: [base64(new Uint8Array([1, 2, 3]))] }),
    400,
    /image 0: not a PNG/,
  );
  await expect(
    await postJson(app, "/predict/image", { model: "tiny", images: [base64(png(1))] }),
    400,
    /tabular model and cannot answer POST \/predict\/image/,
  );
  await expect(
    await app.request("/predict/image", {
      method: "POST",
      body: "x",
      headers: { "content-type": "text/plain" },
    }),
    415,
    /multipart\/form-data or application\/json, received "text\/plain"/,
  );
  const noFile = new FormData();
  noFile.append("model", "pets");
  await expect(
    await app.request("/predict/image", { method: "POST", body: noFile }),
    400,
    /file: expected at least one uploaded image/,
  );
  const textFile = new FormData();
  textFile.append("model", "pets");
  textFile.append("file", "not a file");
  await expect(
    await app.request("/predict/image", { method: "POST", body: textFile }),
    400,
    /file\[0\]: expected an uploaded file/,
  );
  await expect(
    await app.request("/predict/image", {
      method: "POST",
      body: "--x\r\ngarbage",
      headers: { "content-type": "multipart/form-data; boundary=zzz" },
    }),
    400,
    /not valid multipart\/form-data/,
  );
});
