/**
 * A registered-looking image model version on disk without training: a small CNN exported to ONNX,
 * classes.json and image_preprocessing.json in a temp folder, for tests that load it with loadPredictor.
 */
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { exportOnnx } from "../src/export/onnx_exporter.ts";
import { buildTestCnn } from "./onnx_test_models.ts";
import type { ImagePreprocessing } from "../src/preprocess/image_preprocessing.ts";
import type { ModelMeta, ModelVersion } from "../src/registry/registry_types.ts";

/** Writes the version into a fresh temp folder (the caller removes `dir`). */
export async function writeImageVersion(
  { cnn, classes, pre, onnx, name = "shapes", version = 2 }: {
    cnn: tf.LayersModel;
    classes: string[];
    /** The preprocessing to save; null leaves the file out, anything else is written as given. */
    pre: ImagePreprocessing | unknown;
    onnx?: Uint8Array;
    name?: string;
    version?: number;
  },
): Promise<ModelVersion> {
  const size = (pre as ImagePreprocessing | null)?.size ?? 9;
  const channels = (pre as ImagePreprocessing | null)?.channels ?? 3;
  const dir = await Deno.makeTempDir({ prefix: "mmml_image_version_" });
  await Deno.writeTextFile(join(dir, "classes.json"), JSON.stringify(classes));
  if (pre !== null) await Deno.writeTextFile(join(dir, "image_preprocessing.json"), JSON.stringify(pre));
  const shape = cnn.inputs[0].shape.slice(1) as number[];
  await Deno.writeFile(join(dir, "model.onnx"), onnx ?? exportOnnx(cnn, { inputShape: shape, classes }));
  const meta: ModelMeta = {
    name,
    version,
    task: "image",
    arch: "resnet18",
    created: "2026-01-01T00:00:00Z",
    backend: "cpu",
    classes,
    metrics: {},
    timings: {},
    data_fingerprint: "x",
    input_shape: [size, size, channels],
    stages: [],
    tags: [],
    files: {},
  };
  return { meta, dir };
}

/** The "pets" image model of the serving tests: a 9x9 RGB CNN over circle, square and stripes. */
export const PETS_CLASSES = ["circle", "square", "stripes"];

/** Writes version `version` of "pets" (see writeImageVersion; the caller removes its `dir`). */
export function writePetsVersion(version: number): Promise<ModelVersion> {
  return writeImageVersion({
    cnn: buildTestCnn({ size: 9, classes: 3, seed: 3 }),
    classes: PETS_CLASSES,
    pre: { version: 1, size: 9, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    name: "pets",
    version,
  });
}
