import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { createModelPool, notReadyMessage, refName } from "./model_pool.ts";
import { createLinearPredictor } from "./testing_predictor.ts";

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof MmmlError ? `${err.code}: ${err.message}` : String(err);
  }
  return "no error";
};

Deno.test("ModelPool answers the highest loaded version unless a version is asked for", () => {
  const pool = createModelPool();
  const v1 = createLinearPredictor({ version: 1 });
  const v3 = createLinearPredictor({ version: 3 });
  pool.add(v3);
  pool.add(v1);
  assert.equal(pool.get("iris"), v3);
  assert.equal(pool.get("iris", 1), v1);
  assert.deepEqual(pool.versions("iris"), [1, 3]);
  assert.deepEqual(pool.list().map((p) => p.version), [1, 3]);
  assert.match(
    codeOf(() => pool.get("iris", 2)),
    /^model_not_found: version: model "iris" has no loaded version 2; loaded versions: 1, 3/,
  );
  assert.match(
    codeOf(() => pool.get("wine")),
    /^model_not_found: model: no model named "wine" is loaded; loaded models: iris@1, iris@3/,
  );
});

Deno.test("ModelPool is not ready until every requested reference is loaded, and says which", () => {
  const pool = createModelPool({ requested: ["iris@best", "wine"] });
  assert.deepEqual(pool.readiness(), { ready: false, pending: ["iris@best", "wine"], failed: [] });
  assert.match(codeOf(() => pool.get("iris")), /^not_ready: Model "iris" is still loading \(iris@best\)/);
  pool.add(createLinearPredictor({ version: 4 }), { ref: "iris@best" });
  pool.fail("wine", "no such model in registry models/");
  const r = pool.readiness();
  assert.equal(r.ready, false);
  assert.equal(notReadyMessage(r), "Not ready; failed to load wine: no such model in registry models/");
  pool.add(createLinearPredictor({ name: "wine" }), { ref: "wine" });
  assert.deepEqual(pool.readiness(), { ready: true, pending: [], failed: [] });
  assert.equal(refName("iris@best"), "iris");
  assert.equal(refName("iris"), "iris");
});

Deno.test("ModelPool.close closes every predictor and empties the pool", async () => {
  const pool = createModelPool();
  const a = createLinearPredictor({ name: "a" });
  const b = createLinearPredictor({ name: "b" });
  pool.add(a);
  pool.add(b);
  await pool.close();
  assert.ok(a.closed && b.closed);
  assert.deepEqual(pool.list(), []);
});
