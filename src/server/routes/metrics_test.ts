import assert from "node:assert/strict";
import { createTestApp } from "../../../testing/server_app.ts";
import { createLinearPredictor } from "../../../testing/server_predictor.ts";

Deno.test("GET /metrics exposes request, latency, batch and model series in the text format", async () => {
  const { app } = createTestApp({ predictors: [createLinearPredictor({ version: 2 })] });
  await app.request("/health");
  await app.request("/predict/tabular", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "iris",
      instances: [{ sepal_length: 5, sepal_width: 3, petal_length: 1, petal_width: 0 }],
    }),
  });
  await app.request("/v2/models/iris/versions/77");
  const res = await app.request("/metrics");
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const text = await res.text();
  assert.match(text, /^http_requests_total\{route="\/health",method="GET",status="200"\} 1$/m);
  assert.match(text, /^http_requests_total\{route="\/predict\/tabular",method="POST",status="200"\} 1$/m);
  assert.match(
    text,
    /^http_requests_total\{route="\/v2\/models\/:name\/versions\/:version",method="GET",status="404"\} 1$/m,
  );
  assert.match(text, /^http_request_duration_seconds_count\{route="\/health"\} 1$/m);
  assert.match(text, /^http_requests_in_flight 1$/m, "the scrape itself is in flight");
  assert.match(text, /^mmml_batch_size_bucket\{model="iris",le="1"\} 1$/m);
  assert.match(text, /^mmml_model_load_seconds\{model="iris",version="2",provider="cpu"\} 0.012$/m);
  assert.match(
    text,
    /^mmml_model_info\{model="iris",version="2",provider="cpu",task="tabular",refs="iris@2"\} 1$/m,
  );
  assert.match(text, /^process_resident_memory_bytes \d+$/m);
});
