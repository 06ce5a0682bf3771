import assert from "node:assert/strict";
import { join } from "node:path";
import { MmmlError } from "../errors.ts";
import { createMemoryLogger } from "../log.ts";
import { loadConfig, loadConfigFile } from "./load_config.ts";
import { MmmlConfig } from "./schema.ts";

const tempDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of tempDirs) Deno.removeSync(dir, { recursive: true });
});

/** Writes files into a fresh temp folder (removed when the test module ends) and returns it. */
async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mmml_config_" });
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<MmmlError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MmmlError, `expected an MmmlError, got ${err}`);
    return err;
  }
  assert.fail("expected loadConfig to throw");
}

Deno.test("loadConfig without layers gives the schema defaults", async () => {
  const { config, sources } = await loadConfig();
  assert.deepEqual(config, MmmlConfig.parse({}));
  assert.deepEqual(sources, ["defaults"]);
});

Deno.test("loadConfig applies defaults < files < flags < --set", async () => {
  const cwd = await folderWith({
    "a.yaml": "training:\n  epochs: 3\n  batch_size: 16\n  seed: 7\n  optimizer: {lr: 0.5}\n",
    "b.json": '{"training": {"batch_size": 32, "seed": 8}}',
  });
  const { config, sources } = await loadConfig({
    cwd,
    files: ["a.yaml", "b.json"],
    flags: { seed: "9", lr: "0.25" },
    sets: ["training.optimizer.lr=0.125"],
  });
  assert.equal(config.training.epochs, 3, "file over default");
  assert.equal(config.training.batch_size, 32, "later file over earlier file");
  assert.equal(config.training.seed, 9, "flag over file");
  assert.equal(config.training.optimizer.lr, 0.125, "--set over flag");
  assert.equal(config.training.optimizer.name, "adam", "untouched keys keep their default");
  assert.deepEqual(sources, [
    "defaults",
    "a.yaml",
    "b.json",
    "--lr=0.25",
    "--seed=9",
    "--set training.optimizer.lr=0.125",
  ]);
});

Deno.test("loadConfig deep-merges files and lets arrays replace", async () => {
  const cwd = await folderWith({
    "one.yaml":
      "model:\n  arch: mlp\n  hidden: [128, 64, 32]\n  dropout: 0.3\ndata:\n  drop_columns: [a, b]\n",
    "two.yaml": "model:\n  hidden: [8]\ndata:\n  drop_columns: [c]\n  split: {test: 0.2}\n",
  });
  const { config } = await loadConfig({ cwd, files: ["one.yaml", "two.yaml"] });
  assert.deepEqual(config.model, {
    arch: "mlp",
    hidden: [8],
    dropout: 0.3,
    activation: "relu",
    batch_norm: false,
  });
  assert.deepEqual(config.data.drop_columns, ["c"]);
  assert.deepEqual(config.data.split, { validation: 0.15, test: 0.2, stratify: true });
});

Deno.test("loadConfig accepts flagsToConfig output and parses --set numbers, booleans, lists and strings", async () => {
  const { config } = await loadConfig({
    flags: [
      { flag: "epochs", path: ["training", "epochs"], value: 4 },
      { flag: "name", path: ["registry", "name"], value: 2024 },
    ],
    sets: [
      "model.hidden=[64,32]",
      "training.shuffle=false",
      "training.optimizer.epsilon=1e-8",
      "data.label=1999",
    ],
  });
  assert.equal(config.training.epochs, 4);
  assert.equal(config.registry.name, "2024", "a number given for a string setting becomes text");
  assert.deepEqual(config.model.arch === "mlp" && config.model.hidden, [64, 32]);
  assert.equal(config.training.shuffle, false);
  assert.equal(config.training.optimizer.epsilon, 1e-8);
  assert.equal(config.data.label, "1999");
});

Deno.test("loadConfig drops the previous architecture's model keys when a later layer switches arch", async (t) => {
  const cwd = await folderWith({ "mlp.yaml": "model:\n  arch: mlp\n  hidden: [16]\n  batch_norm: true\n" });
  await t.step("--model over a file with model.hidden", async () => {
    const logger = createMemoryLogger();
    const { config } = await loadConfig({ cwd, files: ["mlp.yaml"], flags: { model: "resnet18" }, logger });
    assert.deepEqual(config.model, {
      arch: "resnet18",
      stem: "imagenet",
      dropout: 0.2,
      freeze_backbone: false,
    });
    assert.match(
      logger.lines.join(""),
      /switches model\.arch from mlp to resnet18; dropped model\.hidden, model\.batch_norm/,
    );
  });
  await t.step("--set model.arch, then a key of the new arch", async () => {
    const { config } = await loadConfig({
      cwd,
      files: ["mlp.yaml"],
      sets: ["model.arch=resnet34", "model.stem=small"],
    });
    assert.deepEqual(config.model, { arch: "resnet34", stem: "small", dropout: 0.2, freeze_backbone: false });
  });
  await t.step("a key of the old arch after the switch is an error", async () => {
    const err = await rejection(loadConfig({ flags: { model: "resnet18" }, sets: ["model.hidden=[8]"] }));
    assert.equal(
      err.message,
      "Invalid --set model.hidden=[8]: model.hidden: unknown key for model.arch resnet18 (it applies to mlp)",
    );
  });
});

Deno.test("loadConfig names the file, full path, line and received value of a bad value", async () => {
  const cwd = await folderWith({
    "configs.yaml": "training:\n  epochs: ten\n  optimizer:\n    name: adamw\n",
  });
  const err = await rejection(loadConfig({ cwd, files: ["configs.yaml"] }));
  assert.equal(err.code, "config_invalid");
  assert.equal(
    err.message,
    'Cannot load config "configs.yaml": training.epochs: expected a positive integer, received "ten" (line 2)\n' +
      'Cannot load config "configs.yaml": training.optimizer.name: expected one of adam|sgd, received "adamw" (line 4)',
  );
  const issues = err.details?.issues as { source: string; path: string; line: number }[];
  assert.deepEqual(issues.map((i) => [i.source, i.path, i.line]), [
    ["configs.yaml", "training.epochs", 2],
    ["configs.yaml", "training.optimizer.name", 4],
  ]);
});

Deno.test("loadConfig reports an unknown key with its full dotted path, in the file that wrote it", async () => {
  const cwd = await folderWith({
    "good.yaml": "training:\n  epochs: 3\n",
    "typo.yaml": "training:\n  early_stopping:\n    patients: 3\n",
  });
  const err = await rejection(loadConfig({ cwd, files: ["good.yaml", "typo.yaml"] }));
  assert.equal(
    err.message,
    'Cannot load config "typo.yaml": training.early_stopping.patients: unknown key ' +
      "(did you mean training.early_stopping.patience?) (line 3)",
  );
});

Deno.test("loadConfig blames a flag or a --set for the value it wrote", async () => {
  const bad = await rejection(loadConfig({ flags: { epochs: "ten" } }));
  assert.equal(
    bad.message,
    'Invalid flag --epochs: training.epochs: expected a positive integer, received "ten"',
  );
  const port = await rejection(loadConfig({ sets: ["serving.port=99999"] }));
  assert.equal(
    port.message,
    "Invalid --set serving.port=99999: serving.port: expected an integer from 0 to 65535, received 99999",
  );
  const unknown = await rejection(loadConfig({ sets: ["training.optimiser.lr=0.1"] }));
  assert.equal(
    unknown.message,
    "Invalid --set training.optimiser.lr=0.1: training.optimiser: unknown key (did you mean training.optimizer?)",
  );
});

Deno.test("loadConfig names the file and line of a YAML syntax error", async () => {
  const cwd = await folderWith({ "broken.yaml": "training:\n  epochs: 3\nmodel:\n  hidden: [64, 32\n" });
  const err = await rejection(loadConfig({ cwd, files: ["broken.yaml"] }));
  assert.equal(err.code, "config_invalid");
  assert.match(err.message, /^Cannot load config "broken\.yaml": invalid YAML at line 5, column 1: /);
  assert.equal(err.details?.line, 5);
});

Deno.test("loadConfig names a missing file and the path it looked for", async () => {
  const cwd = await folderWith({});
  const err = await rejection(loadConfig({ cwd, files: ["nope.yaml"] }));
  assert.equal(err.code, "file_not_found");
  assert.equal(
    err.message,
    `Cannot load config "nope.yaml": file not found (looked for ${join(cwd, "nope.yaml")})`,
  );
});

Deno.test("loadConfigFile treats an empty file as empty and rejects a list at the top", async () => {
  const cwd = await folderWith({
    "empty.yaml": "# nothing yet\n",
    "list.yaml": "- 1\n- 2\n",
    "bad.json": '{"a": 1,}',
  });
  assert.deepEqual((await loadConfigFile("empty.yaml", { cwd })).data, {});
  const list = await rejection(loadConfigFile("list.yaml", { cwd }));
  assert.match(
    list.message,
    /^Cannot load config "list\.yaml": expected a mapping of sections .* received a list of 2$/,
  );
  const json = await rejection(loadConfigFile("bad.json", { cwd }));
  assert.match(json.message, /^Cannot load config "bad\.json": invalid JSON/);
});
