import { loadPredictor } from "../runs/load_predictor.ts";
import assert from "node:assert/strict";
import type { ClassPrediction } from "./predictor_types.ts";
import * as tf from "@tensorflow/tfjs";
import { drawPattern, encodeImage, type Encoding, type Pattern } from "../../testing/image_fixtures.ts";
import { decodeImage } from "../data/image_decode.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { exportOnnx } from "../export/onnx_exporter.ts";
import { maxAbsDiff } from "../../testing/onnx_parity.ts";
import { buildTestCnn } from "../../testing/onnx_test_models.ts";
import { preprocessImage } from "../preprocess/image_preprocessor.ts";
import { createRng } from "../random.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { writeImageVersion as writeTestImageVersion } from "../../testing/image_version.ts";
import type { ImagePreprocessing } from "../preprocess/image_preprocessing.ts";
import { MAX_IMAGES_PER_RUN } from "./image_input.ts";

await useBackend("cpu");

const CLASSES = ["circle", "square", "stripes"];
const PRE: ImagePreprocessing = {
  version: 1,
  size: 9,
  channels: 3,
  mean: [0.5, 0.4, 0.3],
  std: [0.2, 0.25, 0.3],
};
const cnn = buildTestCnn({ size: 9, channels: 3, classes: 3, seed: 11 });
const tempDirs: string[] = [];
globalThis.addEventListener("unload", () => tempDirs.forEach((d) => Deno.removeSync(d, { recursive: true })));

async function writeImageVersion(
  { pre = PRE as unknown, onnx = exportOnnx(cnn, { inputShape: [9, 9, 3], classes: CLASSES }) } = {},
): Promise<ModelVersion> {
  const version = await writeTestImageVersion({ cnn, classes: CLASSES, pre, onnx });
  tempDirs.push(version.dir);
  return version;
}

/** Images of every pattern in several encodings and sizes (none of them 9x9: all are resized). */
async function sampleImages(): Promise<Uint8Array[]> {
  const rng = createRng(5);
  const cases: [Pattern, Encoding, number, number][] = [
    ["circle", "png_rgb", 12, 12],
    ["square", "png_gray", 20, 14],
    ["stripes", "jpeg_rgb", 16, 16],
    ["circle", "png_rgba", 7, 11],
    ["square", "png_palette", 30, 30],
    ["stripes", "png_gray_alpha", 9, 5],
  ];
  return await Promise.all(cases.map(([p, e, w, h]) => encodeImage(drawPattern(p, w, h, rng), e)));
}

/** What the tfjs model gives for the same images preprocessed by the same code. */
async function tfjsProbabilities(images: Uint8Array[]): Promise<Float32Array> {
  const rows = await Promise.all(images.map(async (b) => preprocessImage(await decodeImage(b), PRE)));
  const x = new Float32Array(rows.length * 9 * 9 * 3);
  rows.forEach((r, i) => x.set(r, i * r.length));
  return tf.tidy(() =>
    (cnn.predict(tf.tensor(x, [rows.length, 9, 9, 3])) as tf.Tensor).dataSync() as Float32Array
  );
}

Deno.test("Predictor predicts PNG and JPEG images of any size like the tfjs model", async () => {
  const p = await loadPredictor(await writeImageVersion(), { providers: ["cpu"] });
  const images = await sampleImages();
  const predictions = await p.predictImages(images) as ClassPrediction[];
  const expected = await tfjsProbabilities(images);
  assert.equal(predictions.length, images.length);
  const got = predictions.flatMap((pr) => CLASSES.map((c) => pr.probabilities[c]));
  assert.ok(maxAbsDiff(expected, got) < 1e-4, `max diff ${maxAbsDiff(expected, got)}`);
  predictions.forEach((pr, i) => {
    const row = Array.from(expected.subarray(i * 3, i * 3 + 3));
    assert.equal(pr.label, CLASSES[row.indexOf(Math.max(...row))]);
  });
  const distinct = new Set(got.map((v) => v.toFixed(4)));
  assert.ok(distinct.size > 6, "different images should get different probabilities");
  await p.close();
});

Deno.test("Predictor's OIP v2 infer on the preprocessed tensor equals predictImages", async () => {
  const p = await loadPredictor(await writeImageVersion(), { providers: ["cpu"] });
  assert.deepEqual(p.inputs(), [{ name: "input", datatype: "FP32", shape: [-1, 9, 9, 3] }]);
  assert.deepEqual(p.outputs(), [{ name: "probabilities", datatype: "FP32", shape: [-1, 3] }]);
  const images = (await sampleImages()).slice(0, 2);
  const rows = await Promise.all(
    images.map(async (b) => Array.from(preprocessImage(await decodeImage(b), PRE))),
  );
  const [out] = await p.infer([{ name: "input", datatype: "FP32", shape: [2, 9, 9, 3], data: rows.flat() }]);
  assert.deepEqual(out.shape, [2, 3]);
  const predicted = (await p.predictImages(images) as ClassPrediction[]).flatMap((pr) =>
    CLASSES.map((c) => pr.probabilities[c])
  );
  assert.ok(maxAbsDiff(out.data as number[], predicted) < 1e-6);
  await p.close();
});

Deno.test("Predictor runs more images than one ONNX run takes, in order", async () => {
  const p = await loadPredictor(await writeImageVersion(), { providers: ["cpu"] });
  const base = await sampleImages();
  const images = Array.from({ length: MAX_IMAGES_PER_RUN + 5 }, (_, i) => base[i % base.length]);
  const predictions = await p.predictImages(images) as ClassPrediction[];
  assert.equal(predictions.length, images.length);
  const single = await p.predictImages(base);
  predictions.forEach((pr, i) => assert.deepEqual(pr, single[i % base.length]));
  assert.deepEqual(await p.predictImages([]), []);
  await p.close();
});

Deno.test("Predictor rejects undecodable images as invalid_input naming the image", async () => {
  const p = await loadPredictor(await writeImageVersion(), { providers: ["cpu"] });
  const [good] = await sampleImages();
  const cases: [Uint8Array, RegExp][] = [
    [
      new TextEncoder().encode("hello, not an image"),
      /images\[1\]: expected PNG or JPEG bytes, received 19 bytes/,
    ],
    [good.slice(0, 20), /images\[1\]: the PNG header is missing or cut off \(20 bytes\)/],
    [good.slice(0, good.length - 30), /images\[1\]: corrupt PNG/],
  ];
  for (const [bad, message] of cases) {
    await assert.rejects(
      p.predictImages([good, bad]),
      (e) => e instanceof MmmlError && e.code === "invalid_input" && message.test(e.message),
    );
  }
  // A failed request leaves the predictor usable.
  assert.equal((await p.predictImages([good])).length, 1);
  await p.close();
  await assert.rejects(p.predictImages([good]), (e) => e instanceof MmmlError && e.code === "not_ready");
});

Deno.test("Predictor refuses an image version whose preprocessing is missing or does not fit the graph", async (t) => {
  await t.step("missing image_preprocessing.json", async () => {
    await assert.rejects(
      loadPredictor(await writeImageVersion({ pre: null }), { providers: ["cpu"] }),
      (e) =>
        e instanceof MmmlError && e.code === "artifact_corrupt" &&
        /image_preprocessing\.json is missing/.test(e.message),
    );
  });
  await t.step("a field of the wrong type", async () => {
    await assert.rejects(
      loadPredictor(await writeImageVersion({ pre: { ...PRE, channels: 4 } }), { providers: ["cpu"] }),
      (e) =>
        e instanceof MmmlError && e.code === "artifact_corrupt" &&
        /image_preprocessing\.json: channels/.test(e.message),
    );
  });
  await t.step("a size the graph does not take", async () => {
    await assert.rejects(
      loadPredictor(await writeImageVersion({ pre: { ...PRE, size: 10 } }), { providers: ["cpu"] }),
      (e) =>
        e instanceof MmmlError && e.code === "artifact_corrupt" &&
        /model\.onnx: expected one FP32 input "input" \[N, 10, 10, 3\].*received input FP32 \[-1,9,9,3\]/
          .test(e.message),
    );
  });
  await t.step("a mean per channel that does not match the channels", async () => {
    await assert.rejects(
      loadPredictor(await writeImageVersion({ pre: { ...PRE, mean: [0.5, 0.5] } }), { providers: ["cpu"] }),
      (e) =>
        e instanceof MmmlError && e.code === "artifact_corrupt" &&
        /image_preprocessing\.json: data\.image\.mean: expected 1 or 3 values/.test(e.message),
    );
  });
});
