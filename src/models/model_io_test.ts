import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { MlpConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { buildMlp } from "./mlp.ts";
import { getWeightsSnapshot, loadModel, saveModel, setWeightsSnapshot } from "./model_io.ts";

await useBackend("wasm");
const config = MlpConfig.parse({ arch: "mlp", hidden: [8, 6], batch_norm: true });
const x = tf.tensor2d(Array.from({ length: 5 * 4 }, (_, i) => Math.sin(i)), [5, 4]);

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "mmml_model_io_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const rejectsWith = (code: string, pattern: RegExp) => (e: unknown) =>
  e instanceof MmmlError && e.code === code && pattern.test(e.message);

Deno.test("saveModel then loadModel gives identical predictions", async () => {
  await withDir(async (dir) => {
    const model = buildMlp(config, { inputShape: [4], numClasses: 3, seed: 5 });
    // Moving statistics differ from their initial values, so a round trip that dropped them would show.
    setWeightsSnapshot(
      model,
      (await getWeightsSnapshot(model)).map((w) => w.map((v, i) => v + 0.01 * (i % 7) + 0.1)),
    );
    await saveModel(model, dir);
    const saved = JSON.parse(await Deno.readTextFile(join(dir, "model", "model.json")));
    assert.deepEqual(saved.mmml.config, config);
    assert.deepEqual(saved.weightsManifest[0].paths, ["weights.bin"]);

    const loaded = await loadModel(dir);
    assert.deepEqual(loaded.config, config);
    assert.deepEqual(loaded.spec, model.spec);
    const [a, b] = [model.predict(x), loaded.predict(x)];
    assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
    tf.dispose([a, b]);
    model.net.dispose();
    loaded.net.dispose();
  });
});

Deno.test("loadModel names the missing model.json", async () => {
  await withDir(async (dir) => {
    await assert.rejects(loadModel(dir), rejectsWith("file_not_found", /model\/model\.json" does not exist/));
  });
});

Deno.test("loadModel reports corrupt JSON and a truncated weights file by file name", async () => {
  await withDir(async (dir) => {
    const model = buildMlp(config, { inputShape: [4], numClasses: 3, seed: 5 });
    await saveModel(model, dir);
    model.net.dispose();
    const weightsPath = join(dir, "model", "weights.bin");
    const bytes = await Deno.readFile(weightsPath);
    await Deno.writeFile(weightsPath, bytes.subarray(0, bytes.length - 8));
    await assert.rejects(
      loadModel(dir),
      rejectsWith(
        "artifact_corrupt",
        new RegExp(`weights.bin": expected ${bytes.length} bytes .*received ${bytes.length - 8}`),
      ),
    );
    await Deno.remove(weightsPath);
    await assert.rejects(loadModel(dir), rejectsWith("file_not_found", /weights\.bin" does not exist/));

    const jsonPath = join(dir, "model", "model.json");
    const json = JSON.parse(await Deno.readTextFile(jsonPath));
    json.mmml.config.hidden = "eight";
    await Deno.writeTextFile(jsonPath, JSON.stringify(json));
    await assert.rejects(
      loadModel(dir),
      rejectsWith("artifact_corrupt", /model\.json": mmml\.config\.hidden/),
    );
    await Deno.writeTextFile(jsonPath, "{ not json");
    await assert.rejects(loadModel(dir), rejectsWith("artifact_corrupt", /model\.json": not valid JSON/));
  });
});

Deno.test("a weights snapshot restores the weights it copied", async () => {
  const model = buildMlp(config, { inputShape: [4], numClasses: 3, seed: 1 });
  const before = tf.memory().numTensors;
  const snapshot = await getWeightsSnapshot(model);
  assert.equal(snapshot.length, model.net.weights.length);
  setWeightsSnapshot(model, snapshot.map((w) => w.map(() => 0.5)));
  assert.ok(model.net.getWeights().every((w) => w.dataSync().every((v) => v === 0.5)));
  setWeightsSnapshot(model, snapshot);
  assert.deepEqual(await getWeightsSnapshot(model), snapshot);
  assert.equal(tf.memory().numTensors, before);
  model.net.dispose();
});
