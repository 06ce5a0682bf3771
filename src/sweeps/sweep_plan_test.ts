import assert from "node:assert/strict";
import { SweepConfig } from "../config/sweep_schema.ts";
import { MmmlError } from "../errors.ts";
import { expandTrials, planSweep } from "./sweep_plan.ts";

const base = { data: { path: "/data/iris.csv", label: "species" } };
const sweep = (s: Record<string, unknown>) => SweepConfig.parse({ metric: "val.macro_f1", ...s });

Deno.test("a grid is every combination, in the order the parameters are written, the last varying fastest", () => {
  const trials = expandTrials(sweep({
    parameters: { "training.optimizer.lr": [0.1, 0.01, 0.001], "model.hidden": [[8], [16, 8]] },
  }));
  assert.equal(trials.length, 6);
  assert.deepEqual(trials.map((t) => t.trial), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(trials.slice(0, 3).map((t) => t.params), [
    { "training.optimizer.lr": 0.1, "model.hidden": [8] },
    { "training.optimizer.lr": 0.1, "model.hidden": [16, 8] },
    { "training.optimizer.lr": 0.01, "model.hidden": [8] },
  ]);
});

Deno.test("random draws are seeded and stay inside their ranges; whole numbers for int_uniform", () => {
  const spec = {
    method: "random",
    trials: 50,
    seed: 7,
    parameters: {
      "training.optimizer.lr": { distribution: "log_uniform", min: 1e-4, max: 1e-1 },
      "training.batch_size": { distribution: "int_uniform", min: 8, max: 64 },
      "model.dropout": { distribution: "uniform", min: 0, max: 0.5 },
      "model.activation": ["relu", "gelu"],
    },
  };
  const a = expandTrials(sweep(spec));
  assert.deepEqual(a, expandTrials(sweep(spec)));
  assert.notDeepEqual(a, expandTrials(sweep({ ...spec, seed: 8 })));
  for (const { params } of a) {
    const lr = params["training.optimizer.lr"] as number;
    const batch = params["training.batch_size"] as number;
    assert.ok(lr >= 1e-4 && lr <= 1e-1);
    assert.ok(Number.isInteger(batch) && batch >= 8 && batch <= 64);
    assert.ok(["relu", "gelu"].includes(params["model.activation"] as string));
  }
  // log-uniform: about as many draws below 1e-2.5 as above
  const low = a.filter((t) => (t.params["training.optimizer.lr"] as number) < 10 ** -2.5).length;
  assert.ok(low > 12 && low < 38, `${low} of 50 below the log midpoint`);
});

Deno.test("bad sweeps are refused before anything runs, naming the parameter", async () => {
  const refuses = async (s: Record<string, unknown>, pattern: RegExp) => {
    await assert.rejects(
      async () => await planSweep(sweep(s), base),
      (e) => e instanceof MmmlError && e.code === "config_invalid" && pattern.test(e.message),
    );
  };
  await refuses(
    { parameters: { "training.optimizer.lrr": [0.1] } },
    /Invalid sweep\.parameters\.training\.optimizer\.lrr .*unknown key \(did you mean training\.optimizer\.lr\?\)/,
  );
  await refuses(
    { parameters: { "training.epochs": ["ten"] } },
    /sweep\.parameters\.training\.epochs.*trial 1/,
  );
  await refuses({ parameters: {} }, /sweep\.parameters: the sweep varies nothing/);
  await refuses(
    { parameters: { "model.dropout": { distribution: "uniform", min: 0, max: 0.5 } } },
    /a grid needs a list of values/,
  );
  await refuses(
    { method: "random", parameters: { "model.dropout": [0.1] } },
    /method random needs a number of trials/,
  );
  assert.throws(() => sweep({ parameters: { "training.epochs": [] } }), /needs at least one value/);
});
