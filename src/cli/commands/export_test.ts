import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, listTree } from "../../../testing/cli.ts";

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
    assert.equal(tflite.stderr, 'mmml: --format expects onnx, received "tflite"\n');
    const noModel = await cli(["export", "--format", "onnx"], { cwd: dir });
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /mmml export needs --model/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
