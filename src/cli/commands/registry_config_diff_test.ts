import assert from "node:assert/strict";
import { diffConfigs } from "./registry_config_diff.ts";

Deno.test("diffConfigs lists changed, added and removed dotted paths, sorted", () => {
  const a = { training: { epochs: 10, optimizer: { lr: 0.01, name: "adam" } }, model: { dropout: 0.1 } };
  const b = { training: { epochs: 10, optimizer: { lr: 0.02, name: "adam" }, seed: 7 }, model: {} };
  assert.deepEqual(diffConfigs(a, b), [
    { path: "model.dropout", change: "removed", a: 0.1, b: null },
    { path: "training.optimizer.lr", change: "changed", a: 0.01, b: 0.02 },
    { path: "training.seed", change: "added", a: null, b: 7 },
  ]);
  assert.deepEqual(diffConfigs(b, a)[0], { path: "model.dropout", change: "added", a: null, b: 0.1 });
  assert.deepEqual(diffConfigs(a, structuredClone(a)), []);
});

Deno.test("diffConfigs treats arrays as values and ignores object key order inside them", () => {
  assert.deepEqual(diffConfigs({ hidden: [32, 16] }, { hidden: [32, 16] }), []);
  assert.deepEqual(diffConfigs({ hidden: [32, 16] }, { hidden: [16, 32] }), [
    { path: "hidden", change: "changed", a: [32, 16], b: [16, 32] },
  ]);
  assert.deepEqual(diffConfigs({ cb: [{ x: 1, y: 2 }] }, { cb: [{ y: 2, x: 1 }] }), []);
});

Deno.test("diffConfigs tells a null value from an absent one and a string from a number", () => {
  assert.deepEqual(diffConfigs({ test: null }, {}), [{ path: "test", change: "removed", a: null, b: null }]);
  assert.deepEqual(diffConfigs({}, { test: null }), [{ path: "test", change: "added", a: null, b: null }]);
  assert.deepEqual(diffConfigs({ epochs: 10 }, { epochs: "10" }), [
    { path: "epochs", change: "changed", a: 10, b: "10" },
  ]);
});

Deno.test("diffConfigs quotes keys that are not identifiers and shows an empty section only where it is new", () => {
  assert.deepEqual(diffConfigs({ types: { "bill.length": "numeric", "2x": "a" } }, { types: {} }), [
    { path: 'types["2x"]', change: "removed", a: "a", b: null },
    { path: 'types["bill.length"]', change: "removed", a: "numeric", b: null },
  ]);
  assert.deepEqual(diffConfigs({ data: { path: "x.csv" } }, { data: { path: "x.csv", types: {} } }), [
    { path: "data.types", change: "added", a: null, b: {} },
  ]);
  assert.deepEqual(diffConfigs({}, {}), []);
});
