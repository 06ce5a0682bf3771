import assert from "node:assert/strict";
import { describeSchema, formatZodError, RENAMED_KEYS } from "./format_zod_error.ts";
import { configJsonSchema, schemaAtPath } from "./schema_path.ts";
import { MmmlConfig } from "./schema.ts";

function messageFor(input: unknown): string {
  const result = MmmlConfig.safeParse(input);
  assert.equal(result.success, false, `expected ${JSON.stringify(input)} to be rejected`);
  return formatZodError(result.error!, input);
}

Deno.test("formatZodError names the full path, the expectation and the received value", () => {
  assert.equal(
    messageFor({ training: { epochs: "ten" } }),
    'training.epochs: expected a positive integer, received "ten"',
  );
  assert.equal(
    messageFor({ training: { epochs: 0 } }),
    "training.epochs: expected a positive integer, received 0",
  );
  assert.equal(
    messageFor({ training: { epochs: 2.5 } }),
    "training.epochs: expected a positive integer, received 2.5",
  );
  assert.equal(
    messageFor({ serving: { port: 70000 } }),
    "serving.port: expected an integer from 0 to 65535, received 70000",
  );
  assert.equal(
    messageFor({ data: { split: { validation: 1.5 } } }),
    "data.split.validation: expected a number from 0 to 0.9, received 1.5",
  );
});

Deno.test("formatZodError lists enum choices for a bad option", () => {
  assert.equal(
    messageFor({ training: { optimizer: { name: "adamw" } } }),
    'training.optimizer.name: expected one of adam|sgd, received "adamw"',
  );
  assert.equal(
    messageFor({ model: { arch: "vgg" } }),
    'model.arch: expected one of mlp|resnet18|resnet34|resnet50|efficientnet_b0|efficientnet_b1, received "vgg"',
  );
  assert.equal(
    messageFor({ data: { image: { channels: 2 } } }),
    "data.image.channels: expected 1 or 3, received 2",
  );
});

Deno.test("formatZodError reports each unknown key on its own line with a suggestion", () => {
  assert.equal(
    messageFor({ training: { epoch: 5, foo: 1 } }),
    "training.epoch: unknown key (did you mean training.epochs?)\ntraining.foo: unknown key",
  );
  assert.equal(messageFor({ trainig: {} }), "trainig: unknown key (did you mean training?)");
});

Deno.test("formatZodError points keys as other tools name them at mmml's own", () => {
  assert.equal(
    messageFor({ training: { learning_rate: 0.01 } }),
    "training.learning_rate: unknown key (did you mean training.optimizer.lr?)",
  );
  assert.equal(messageFor({ data: { target: "y" } }), "data.target: unknown key (did you mean data.label?)");
  for (const [from, to] of Object.entries(RENAMED_KEYS)) {
    const known = schemaAtPath(to.split("."), { model: { arch: "mlp" } }) !== undefined;
    assert.ok(known, `${from} points at ${to}, a real key`);
  }
});

Deno.test("formatZodError says which architectures a stray model key belongs to", () => {
  assert.equal(
    messageFor({ model: { arch: "resnet18", hidden: [64] } }),
    "model.hidden: unknown key for model.arch resnet18 (it applies to mlp)",
  );
});

Deno.test("formatZodError locates list items and describes lists", () => {
  assert.equal(
    messageFor({ model: { arch: "mlp", hidden: [64, 0] } }),
    "model.hidden[1]: expected a positive integer, received 0",
  );
  assert.equal(
    messageFor({ model: { arch: "mlp", hidden: "64" } }),
    'model.hidden: expected a list of positive integers, received "64"',
  );
  assert.equal(
    messageFor({ data: { image: { augment: { random_resized_crop: { scale: [1] } } } } }),
    "data.image.augment.random_resized_crop.scale: expected a list of 2 numbers, received a list of 1",
  );
});

Deno.test("formatZodError describes unions, patterns and mappings", () => {
  assert.equal(
    messageFor({ training: { class_weights: "x" } }),
    'training.class_weights: expected one of none|balanced or a mapping of names to positive numbers, received "x"',
  );
  assert.match(
    messageFor({ registry: { name: "bad name" } }),
    /^registry\.name: expected a string matching .*received "bad name"$/,
  );
  assert.equal(messageFor({ model: "mlp" }), 'model: expected a mapping, received "mlp"');
});

Deno.test("describeSchema phrases numbers by their bounds", () => {
  const at = (dotted: string) => describeSchema(schemaAtPath(dotted.split("."), {}, configJsonSchema()));
  assert.equal(at("training.optimizer.lr"), "a positive number");
  assert.equal(at("training.early_stopping.patience"), "a non-negative integer");
  assert.equal(at("training.optimizer.momentum"), "a number from 0 to 1");
  assert.equal(at("training.shuffle"), "true or false");
  assert.equal(at("serving.providers"), "a list of values from cuda|tensorrt|webgpu|cpu");
});
