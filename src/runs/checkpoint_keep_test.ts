/**
 * What a published version keeps of its checkpoints (training.checkpoint.keep): a CNN's best and
 * resumable checkpoints (4x the model) are left out by default, saying so, and the version is then
 * model/ + model.onnx; with --keep-checkpoints they stay and a resumed run equals an uninterrupted one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../../testing/cli.ts";

const FLAT = new URL("../../fixtures/images/flat", import.meta.url).pathname;

async function bytesUnder(path: string): Promise<number> {
  const info = await Deno.stat(path);
  if (!info.isDirectory) return info.size;
  let total = 0;
  for await (const entry of Deno.readDir(path)) total += await bytesUnder(join(path, entry.name));
  return total;
}

const trainArgs = (registry: string, name: string, epochs: number, ...extra: string[]) => [
  "train",
  "--data",
  FLAT,
  "--model",
  "resnet18",
  "--image-size",
  "32",
  "--epochs",
  String(epochs),
  "--name",
  name,
  "--registry",
  registry,
  "--set",
  "training.progress=false",
  "--json",
  ...extra,
];

Deno.test("a ResNet-18 version is at most 2.5x its model.onnx by default, and resume says plainly it was not kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_keep_" });
  try {
    const run = await cli(trainArgs(join(dir, "models"), "shapes", 1));
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /checkpoints\/ \(\d+ MB: best weights and resumable state\) left out of the version/,
    );
    const artifact = JSON.parse(run.stdout).artifact;
    const [total, onnx] = [await bytesUnder(artifact), await bytesUnder(join(artifact, "model.onnx"))];
    assert.ok(
      total <= 2.5 * onnx,
      `version ${total} bytes, model.onnx ${onnx} (${(total / onnx).toFixed(2)}x)`,
    );
    const resumed = await cli([
      "train",
      "--resume",
      "shapes@1",
      "--epochs",
      "2",
      "--registry",
      join(dir, "models"),
    ]);
    assert.equal(resumed.code, 2);
    assert.match(
      resumed.stderr,
      /Cannot resume shapes@1: its resumable state .* was not kept.*--keep-checkpoints/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with --keep-checkpoints a ResNet-18 version resumes to the weights of an uninterrupted run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_keep_" });
  const registry = join(dir, "models");
  try {
    const straight = await cli(trainArgs(registry, "straight", 2));
    assert.equal(straight.code, 0, straight.stderr);
    const first = await cli(trainArgs(registry, "shapes", 1, "--keep-checkpoints"));
    assert.equal(first.code, 0, first.stderr);
    assert.ok(await bytesUnder(join(JSON.parse(first.stdout).artifact, "checkpoints", "last")) > 0);
    const resumed = await cli([
      "train",
      "--resume",
      "shapes@1",
      "--epochs",
      "2",
      "--registry",
      registry,
      "--json",
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const weights = (run: { stdout: string }) =>
      Deno.readFile(join(JSON.parse(run.stdout).artifact, "model", "weights.bin"));
    assert.deepEqual(await weights(resumed), await weights(straight));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
