import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, listTree } from "../../../testing/cli.ts";
import { parseTritonConfig } from "../../../testing/triton_model_config.ts";

const IRIS = new URL("../../../fixtures/iris.csv", import.meta.url).pathname;

Deno.test("export writes the version's ONNX model to NAME-vVER.onnx or --out, and rejects other formats", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_export_" });
  try {
    const trained = await cli(
      [
        "train",
        "--data",
        IRIS,
        "--label",
        "species",
        "--registry",
        join(dir, "models"),
        "--epochs",
        "2",
        "--json",
      ],
    );
    assert.equal(trained.code, 0, trained.stderr);
    const artifact = JSON.parse(trained.stdout).artifact;
    const saved = await Deno.readFile(join(artifact, "model.onnx"));

    const r = await cli(["export", "--model", "iris", "--format", "onnx"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^iris@1 -> iris-v1\.onnx \(onnx, \d+ bytes\)\n$/);
    // Re-exporting the saved weights gives the very graph training exported.
    assert.deepEqual(await Deno.readFile(join(dir, "iris-v1.onnx")), saved);

    const json = await cli(["export", "--model", "iris@1", "--out", "out.onnx", "--json"], { cwd: dir });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      model: "iris",
      version: 1,
      format: "onnx",
      path: join(dir, "out.onnx"),
      bytes: saved.length,
    });
    const written = (await listTree(dir)).filter((f) => !f.startsWith("models/"));
    assert.deepEqual(written, ["iris-v1.onnx", "out.onnx"], "no temporary files left");

    const tflite = await cli(["export", "--model", "iris", "--format", "tflite"], { cwd: dir });
    assert.equal(tflite.code, 2);
    assert.equal(tflite.stderr, 'mmml: --format expects onnx|triton, received "tflite"\n');
    const noModel = await cli(["export", "--format", "onnx"], { cwd: dir });
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /mmml export needs --model/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export --format triton writes a model repository entry per version that Triton's schema reads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_export_triton_" });
  const registry = join(dir, "models");
  try {
    const train = (extra: string[]) =>
      cli(["train", "--data", IRIS, "--label", "species", "--registry", registry, "--epochs", "2", ...extra]);
    assert.equal((await train([])).code, 0);
    const r = await cli(
      ["export", "--model", "iris", "--format", "triton", "--registry", registry, "--json"],
      {
        cwd: dir,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.path, join(dir, "model_repository", "iris"));
    assert.equal(result.max_batch_size, 10000);
    const config = parseTritonConfig(await Deno.readTextFile(join(result.path, "config.pbtxt")));
    assert.equal(config.name, "iris");
    assert.equal(config.max_batch_size, 10000);
    assert.deepEqual(config.input, [{ name: "numeric", data_type: "TYPE_FP32", dims: [4] }]);
    assert.deepEqual(config.output, [
      { name: "probabilities", data_type: "TYPE_FP32", dims: [3], label_filename: "labels.txt" },
    ]);
    assert.equal(
      await Deno.readTextFile(join(result.path, "labels.txt")),
      "setosa\nversicolor\nvirginica\n",
    );

    // A second version joins the first; a smaller batch limit is taken.
    assert.equal((await train(["--seed", "2"])).code, 0);
    // Relative to the working directory, as --registry's default (./models) is.
    const second = await cli(
      [
        "export",
        "--model",
        "iris@2",
        "--format",
        "triton",
        "--out",
        "model_repository",
        "--max-batch-size",
        "64",
      ],
      { cwd: dir },
    );
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^iris@2 -> .*model_repository\/iris \(triton, max_batch_size 64\)\n$/);
    assert.deepEqual(await listTree(join(dir, "model_repository")), [
      "iris/",
      "iris/1/",
      "iris/1/model.onnx",
      "iris/2/",
      "iris/2/model.onnx",
      "iris/config.pbtxt",
      "iris/labels.txt",
    ]);
    assert.equal(
      parseTritonConfig(await Deno.readTextFile(join(result.path, "config.pbtxt"))).max_batch_size,
      64,
    );

    const bad = await cli([
      "export",
      "--model",
      "iris",
      "--format",
      "triton",
      "--max-batch-size",
      "0",
      "--registry",
      registry,
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-batch-size expects a whole number of at least 1, received "0"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
