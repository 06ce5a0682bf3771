import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import {
  CONFIG_FLAGS,
  flagsToConfig,
  mergeLayer,
  type MergeState,
  parseOverrideValue,
  parseSet,
  schemaForOverride,
  writerOf,
} from "./overrides.ts";
import { schemaAtPath } from "./schema_path.ts";

const current = { model: { arch: "mlp" } };
const valueFor = (dotted: string, text: string) =>
  parseOverrideValue(schemaForOverride(dotted.split("."), current, "test"), text, "test");

Deno.test("parseOverrideValue reads numbers, booleans and lists as YAML", () => {
  assert.equal(valueFor("training.epochs", "5"), 5);
  assert.equal(valueFor("training.optimizer.lr", "1e-3"), 0.001);
  assert.equal(valueFor("training.shuffle", "false"), false);
  assert.deepEqual(valueFor("model.hidden", "[64,32]"), [64, 32]);
  assert.deepEqual(valueFor("training.optimizer", "{name: sgd, lr: 0.1}"), { name: "sgd", lr: 0.1 });
});

Deno.test("parseOverrideValue keeps text where the schema wants a string", () => {
  assert.equal(valueFor("registry.name", "2024"), "2024");
  assert.equal(valueFor("data.label", "true"), "true");
  assert.equal(valueFor("data.path", "dir/with: colon.csv"), "dir/with: colon.csv");
  assert.deepEqual(valueFor("data.drop_columns", "[id, 7]"), ["id", "7"]);
});

Deno.test("parseOverrideValue reports invalid YAML", () => {
  assert.throws(() => valueFor("model.hidden", "[64, 32"), (e: unknown) => {
    assert.ok(e instanceof MmmlError);
    assert.equal(e.code, "config_invalid");
    assert.match(e.message, /^test: value is not valid YAML: Flow sequence must end with a \]/);
    return true;
  });
});

Deno.test("parseSet splits at the first = and rejects a missing value", () => {
  assert.deepEqual(parseSet("data.path=a=b.csv"), {
    text: "data.path=a=b.csv",
    path: ["data", "path"],
    valueText: "a=b.csv",
  });
  assert.throws(
    () => parseSet("training.epochs"),
    /--set expects dotted\.key=value.*received "training\.epochs"/,
  );
  assert.throws(() => parseSet("training..epochs=3"), /--set expects dotted\.key=value/);
});

Deno.test("schemaForOverride names an unknown key by its full path", () => {
  assert.throws(() => schemaForOverride(["training", "optimizer", "colour"], current, "ctx"), {
    name: "MmmlError",
    code: "config_invalid",
    message: "ctx: training.optimizer.colour: unknown key",
  });
  assert.throws(
    () => schemaForOverride(["training", "epoch"], current, "ctx"),
    { message: "ctx: training.epoch: unknown key (did you mean training.epochs?)" },
  );
  assert.throws(() => schemaForOverride(["model", "hidden", "0"], current, "ctx"), {
    message: "ctx: model.hidden is a list; set it whole: model.hidden=[...]",
  });
  assert.throws(
    () => schemaForOverride(["model", "stem"], current, "ctx"),
    /model\.stem: unknown key for model\.arch mlp/,
  );
  // Record-valued sections take any key.
  assert.ok(schemaForOverride(["data", "column_types", "anything"], current, "ctx"));
  assert.ok(schemaForOverride(["training", "class_weights", "cat"], current, "ctx"));
});

Deno.test("flagsToConfig maps flag values to config paths and skips absent ones", () => {
  const flags = flagsToConfig({ epochs: "5", "batch-size": 32, json: true, lr: undefined });
  assert.deepEqual(flags, [
    { flag: "epochs", path: ["training", "epochs"], value: "5" },
    { flag: "batch-size", path: ["training", "batch_size"], value: 32 },
  ]);
  assert.deepEqual(flagsToConfig({ port: "9" }, { port: "serving.port" }), [
    { flag: "port", path: ["serving", "port"], value: "9" },
  ]);
});

Deno.test("every CONFIG_FLAGS path exists in the schema (for the default or an image architecture)", () => {
  const vision = { ...current, model: { arch: "resnet18" } };
  for (const [flag, dotted] of Object.entries(CONFIG_FLAGS)) {
    assert.ok(
      schemaAtPath(dotted.split("."), current) || schemaAtPath(dotted.split("."), vision),
      `--${flag} maps to ${dotted}, which the schema lacks`,
    );
  }
  assert.equal(schemaAtPath(["model", "nonexistent"], current) ?? null, null);
});

Deno.test("mergeLayer deep-merges objects, replaces arrays and records who wrote what", () => {
  const state: MergeState = { data: {}, writers: new Map() };
  mergeLayer(state, {
    training: { epochs: 3, optimizer: { lr: 0.1 } },
    model: { arch: "mlp", hidden: [128, 64] },
  }, 1);
  mergeLayer(state, { training: { optimizer: { name: "sgd" } }, model: { hidden: [8] } }, 2);
  assert.deepEqual(state.data, {
    training: { epochs: 3, optimizer: { lr: 0.1, name: "sgd" } },
    model: { arch: "mlp", hidden: [8] },
  });
  assert.equal(writerOf(state, ["training", "epochs"]), 1);
  assert.equal(writerOf(state, ["training", "optimizer", "name"]), 2);
  assert.equal(writerOf(state, ["model", "hidden", 0]), 2);
});

Deno.test("mergeLayer starts the model section afresh when the arch changes", () => {
  const state: MergeState = { data: {}, writers: new Map() };
  mergeLayer(state, { model: { hidden: [16], dropout: 0.3 } }, 1);
  const note = mergeLayer(state, { model: { arch: "resnet18", stem: "small" } }, 2);
  assert.deepEqual(state.data.model, { arch: "resnet18", stem: "small" });
  assert.deepEqual(note.droppedModelKeys, ["hidden", "dropout"]);
  assert.equal(note.fromArch, "mlp");
  // Same arch again: an ordinary merge.
  const same = mergeLayer(state, { model: { arch: "resnet18", dropout: 0.5 } }, 3);
  assert.deepEqual(state.data.model, { arch: "resnet18", stem: "small", dropout: 0.5 });
  assert.deepEqual(same.droppedModelKeys, []);
});
