import assert from "node:assert/strict";
import { createTestApp } from "../../../testing/server_app.ts";
import { createLinearPredictor } from "../../../testing/server_predictor.ts";

Deno.test("GET /models lists loaded models with version, task, provider, inputs and classes", async () => {
  const { app } = createTestApp({
    predictors: [
      createLinearPredictor({ name: "wine", version: 3, provider: "cuda" }),
      createLinearPredictor({ name: "pets", task: "image", classes: ["cat", "dog"] }),
    ],
  });
  const body = await (await app.request("/models")).json();
  assert.deepEqual(
    body.models.map((
      m: { name: string; version: number; task: string; provider: string },
    ) => [m.name, m.version, m.task, m.provider]),
    [
      ["pets", 1, "image", "cpu"],
      ["wine", 3, "tabular", "cuda"],
    ],
  );
  assert.deepEqual(body.models[1].classes, ["setosa", "versicolor", "virginica"]);
  assert.deepEqual(body.models[1].inputs, [{ name: "features", datatype: "FP32", shape: [-1, 4] }]);
  assert.equal(body.models[1].load_seconds, 0.012);
});
