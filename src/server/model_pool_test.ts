import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { createModelPool, notReadyMessage, refName } from "./model_pool.ts";
import { createLinearPredictor } from "../../testing/server_predictor.ts";

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

/** A promise and the function that settles it, to hold a request in flight. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => open = r);
  return { opened, open };
}

Deno.test("ModelPool.swap switches a reference at once and closes the old version after its requests", async () => {
  const pool = createModelPool({ requested: ["iris@production"] });
  const v1 = createLinearPredictor({ version: 1 });
  const v2 = createLinearPredictor({ version: 2 });
  pool.add(v1, { ref: "iris@production" });
  const g = gate();
  const inFlight = pool.use("iris", undefined, async (p) => {
    await g.opened;
    return await p.predictRows([{ sepal_length: 1, sepal_width: 1, petal_length: 1, petal_width: 1 }]);
  });
  const { previous, retired, closed } = pool.swap("iris@production", v2);
  assert.equal(previous, v1);
  assert.deepEqual(retired, [v1]);
  assert.equal(pool.get("iris"), v2, "new requests get the new version at once");
  assert.equal(pool.bound("iris@production"), v2);
  assert.deepEqual(pool.versions("iris"), [2]);
  assert.match(codeOf(() => pool.get("iris", 1)), /^model_not_found: .*loaded versions: 2/);
  assert.equal(pool.readiness().ready, true, "a swap never makes the server not ready");
  let closedYet = false;
  closed.then(() => closedYet = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(v1.closed, false, "a request in flight keeps the old version open");
  assert.equal(closedYet, false);
  g.open();
  const [prediction] = await inFlight;
  assert.ok("label" in prediction, "the request in flight finished on the old version");
  await closed;
  assert.equal(v1.closed, true);
  assert.equal(v2.closed, false);
});

Deno.test("ModelPool.swap keeps a version that another reference still serves", async () => {
  const pool = createModelPool();
  const v1 = createLinearPredictor({ version: 1 });
  const v2 = createLinearPredictor({ version: 2 });
  pool.add(v1, { ref: "iris@production" });
  pool.add(v1, { ref: "iris@latest" });
  const { retired, closed } = pool.swap("iris@latest", v2);
  await closed;
  assert.deepEqual(retired, []);
  assert.equal(v1.closed, false);
  assert.deepEqual(pool.versions("iris"), [1, 2]);
  assert.deepEqual(pool.refsOf(v1), ["iris@production"]);
  assert.deepEqual(pool.refs(), ["iris@latest", "iris@production"]);
  const again = pool.swap("iris@production", v2);
  await again.closed;
  assert.deepEqual(again.retired, [v1]);
  assert.equal(v1.closed, true);
  assert.deepEqual(pool.refsOf(v2), ["iris@latest", "iris@production"]);
});

Deno.test("ModelPool.unload takes a model out, forgets its references, and closes it after its requests", async () => {
  const pool = createModelPool({ requested: ["iris@production", "wine"] });
  const iris = createLinearPredictor({ version: 3 });
  const wine = createLinearPredictor({ name: "wine" });
  pool.add(iris, { ref: "iris@production" });
  pool.add(wine, { ref: "wine" });
  const g = gate();
  const inFlight = pool.use("iris", 3, async (p) => {
    await g.opened;
    return p.version;
  });
  const { retired, closed } = pool.unload("iris");
  assert.deepEqual(retired, [iris]);
  assert.match(codeOf(() => pool.get("iris")), /^model_not_found: model: no model named "iris" is loaded/);
  assert.deepEqual(pool.refs(), ["wine"]);
  assert.deepEqual(pool.readiness(), { ready: true, pending: [], failed: [] });
  assert.equal(iris.closed, false);
  g.open();
  assert.equal(await inFlight, 3);
  await closed;
  assert.equal(iris.closed, true);
  assert.match(codeOf(() => pool.unload("iris")), /^model_not_found: /);
});

Deno.test("ModelPool.use releases its lease when the work throws", async () => {
  const pool = createModelPool();
  const v1 = createLinearPredictor({ version: 1 });
  pool.add(v1, { ref: "iris@latest" });
  await assert.rejects(pool.use("iris", undefined, () => Promise.reject(new Error("bad row"))), /bad row/);
  const { closed } = pool.swap("iris@latest", createLinearPredictor({ version: 2 }));
  await closed;
  assert.equal(v1.closed, true, "no lease was left behind");
});
