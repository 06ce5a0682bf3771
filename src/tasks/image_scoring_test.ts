import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ModelConfig } from "../config/schema.ts";
import { decodeImage } from "../data/image_decode.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { buildModel } from "../models/architectures.ts";
import { preprocessImage } from "../preprocess/image_preprocessor.ts";
import type { ModelMeta } from "../registry/registry_types.ts";
import { classificationMetrics } from "../evaluation/metrics.ts";
import { listImageFiles, runImageEvaluation, runImagePrediction } from "./image_scoring.ts";
import type { TrainedImage } from "./trained_model.ts";

const backend = await useBackend("cpu");
const SPLIT = new URL("../../fixtures/images/split", import.meta.url).pathname;
const IMAGE = { version: 1 as const, size: 8, channels: 3 as const, mean: [0.5], std: [0.25] };

/** An untrained small-stem ResNet-18 at 8 px standing in for a registered version. */
function tinyTrained(classes: string[]): TrainedImage {
  const model = buildModel(ModelConfig.parse({ arch: "resnet18", stem: "small" }), {
    inputShape: [8, 8, 3],
    numClasses: classes.length,
    seed: 4,
  });
  return {
    task: "image",
    image: IMAGE,
    version: { meta: { name: "shapes", version: 1 } as ModelMeta, dir: "/nowhere" },
    model,
    classes,
    backend,
    dispose: () => model.net.dispose(),
  };
}

Deno.test("listImageFiles walks a folder at any depth, PNG/JPEG only, hidden entries out, sorted by path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_list_images_" });
  try {
    for (
      const f of ["b/2.png", "b/10.PNG", "a/deep/er/x.jpeg", "a/y.JPG", "z.jpg", ".hidden/h.png", "a/.h.png"]
    ) {
      await Deno.mkdir(join(dir, f, ".."), { recursive: true });
      await Deno.writeFile(join(dir, f), new Uint8Array([1]));
    }
    await Deno.writeTextFile(join(dir, "a", "notes.txt"), "not an image");
    const { folder, files } = await listImageFiles(dir);
    assert.equal(folder, true);
    assert.deepEqual(files.map(([, rel]) => rel), [
      "a/deep/er/x.jpeg",
      "a/y.JPG",
      "b/10.PNG",
      "b/2.png",
      "z.jpg",
    ]);
    assert.deepEqual(files[0][0], join(dir, "a/deep/er/x.jpeg"));
    assert.deepEqual(await listImageFiles(join(dir, "z.jpg")), {
      folder: false,
      files: [[join(dir, "z.jpg"), ""]],
    });

    const empty = join(dir, "empty");
    await Deno.mkdir(empty);
    await assert.rejects(
      listImageFiles(empty),
      (e) =>
        e instanceof MmmlError && e.code === "invalid_input" &&
        /empty: expected PNG or JPEG files/.test(e.message),
    );
    await assert.rejects(
      listImageFiles(join(dir, "missing")),
      (e) =>
        e instanceof MmmlError && e.code === "file_not_found" &&
        /missing: no such file or folder/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runImageEvaluation scores a train/val/test tree on its test folder, with the model's class order", async () => {
  // The model knows a class the folder lacks, listed first, so folder and model indices differ.
  const trained = tinyTrained(["aardvark", "circle", "square"]);
  try {
    const before = tf.memory().numTensors;
    const result = await runImageEvaluation(trained, SPLIT, { display: "split" });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(result.rows, 2);
    assert.deepEqual(result.skipped, []);

    const files = ["test/circle/0.png", "test/square/0.png"];
    const x = new Float32Array(2 * 8 * 8 * 3);
    for (const [i, f] of files.entries()) {
      x.set(preprocessImage(await decodeImage(await Deno.readFile(join(SPLIT, f))), IMAGE), i * 192);
    }
    const probs = tf.tidy(() => trained.model.predict(tf.tensor(x, [2, 8, 8, 3])).dataSync() as Float32Array);
    const want = classificationMetrics(probs, [1, 2], 3, trained.classes);
    assert.deepEqual(result.metrics.confusion_matrix, want.confusion_matrix);
    assert.ok(Math.abs(result.metrics.log_loss! - want.log_loss!) < 1e-6);

    const predicted = await runImagePrediction(trained, join(SPLIT, "test"), { display: "t" });
    assert.deepEqual(predicted.predictions.map((p) => p.file), ["t/circle/0.png", "t/square/0.png"]);
    const got = predicted.predictions.flatMap((p) => trained.classes.map((c) => p.probabilities[c]));
    assert.deepEqual(got, Array.from(probs));
  } finally {
    trained.dispose();
  }
});

Deno.test("runImageEvaluation names class folders the model does not know", async () => {
  const trained = tinyTrained(["circle", "triangle"]);
  try {
    await assert.rejects(
      runImageEvaluation(trained, SPLIT, { display: "split" }),
      (e) =>
        e instanceof MmmlError && e.code === "invalid_input" &&
        /--data split: class folder\(s\) "square" are not classes of shapes@1; expected folders named among "circle", "triangle"/
          .test(e.message),
    );
  } finally {
    trained.dispose();
  }
});
