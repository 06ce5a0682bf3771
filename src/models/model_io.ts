/**
 * Saving and loading an MmmlModel. model.json is the tfjs layers-model format (topology and weights
 * manifest) plus an `mmml` block with the model config and spec; loading rebuilds the model from that block
 * through ARCHITECTURES and then loads the weights, so architectures with custom layers load too.
 */
import { writeFileChecked } from "../disk_space.ts";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { z } from "zod";
import { ModelConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import { buildModel } from "./architectures.ts";
import type { MmmlModel } from "./model.ts";

/** Folder of the model files inside an artifacts folder (see src/registry/registry_types.ts). */
export const MODEL_SUBDIR = "model";
const WEIGHTS_FILE = "weights.bin";

const SavedSpec = z.object({
  inputShape: z.array(z.number().int().positive()),
  numClasses: z.number().int().positive(),
  seed: z.number().optional(),
  output: z.enum(["softmax", "linear"]).optional(),
});
const WeightEntry = z.looseObject({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string(),
});
const ModelJson = z.looseObject({
  modelTopology: z.unknown(),
  weightsManifest: z.array(z.looseObject({ paths: z.array(z.string()), weights: z.array(WeightEntry) })).min(
    1,
  ),
  mmml: z.looseObject({ config: ModelConfig, spec: SavedSpec }),
});

/** Writes DIR/model/model.json and DIR/model/weights.bin. */
export async function saveModel(model: MmmlModel, dir: string): Promise<void> {
  const out = join(dir, MODEL_SUBDIR);
  await Deno.mkdir(out, { recursive: true });
  await model.net.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
    // Weights first: a model.json on disk always has its weights beside it.
    await writeFileChecked(join(out, WEIGHTS_FILE), new Uint8Array(weights));
    const json = {
      format: "layers-model",
      generatedBy: artifacts.generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      mmml: { config: model.config, spec: model.spec },
    };
    await writeFileChecked(join(out, "model.json"), JSON.stringify(json));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
}

/** Reads a model written by saveModel from DIR/model; fails naming the file that is missing or corrupt. */
export async function loadModel(dir: string): Promise<MmmlModel> {
  const jsonPath = join(dir, MODEL_SUBDIR, "model.json");
  const parsed = ModelJson.safeParse(
    parseJson(await readFile(jsonPath, (p) => Deno.readTextFile(p)), jsonPath),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MmmlError(
      "artifact_corrupt",
      `Cannot load model "${jsonPath}": ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      { cause: parsed.error },
    );
  }
  const { weightsManifest, mmml } = parsed.data;
  const specs = weightsManifest.flatMap((group) => group.weights) as tf.io.WeightsManifestEntry[];
  const buffers: ArrayBuffer[] = [];
  for (const file of weightsManifest.flatMap((group) => group.paths)) {
    const bytes = await readFile(join(dir, MODEL_SUBDIR, file), (p) => Deno.readFile(p));
    buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  }
  const weightsPath = join(dir, MODEL_SUBDIR, weightsManifest[0].paths[0] ?? WEIGHTS_FILE);
  const received = buffers.reduce((n, b) => n + b.byteLength, 0);
  const expected = specs.reduce((n, s) => n + tf.util.sizeFromShape(s.shape) * bytesPerValue(s), 0);
  if (received !== expected) {
    throw new MmmlError(
      "artifact_corrupt",
      `Cannot load model "${weightsPath}": expected ${expected} bytes of weights (per model.json), received ${received}`,
    );
  }
  const model = buildModel(mmml.config, mmml.spec);
  const named = tf.io.decodeWeights(buffers, specs);
  try {
    model.net.loadWeights(named, true);
  } catch (err) {
    model.net.dispose();
    throw new MmmlError(
      "artifact_corrupt",
      `Cannot load model "${weightsPath}": weights do not fit a ${mmml.config.arch} of input [${mmml.spec.inputShape}] ` +
        `and ${mmml.spec.numClasses} classes: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    tf.dispose(Object.values(named));
  }
  return model;
}

function bytesPerValue(spec: tf.io.WeightsManifestEntry): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  return dtype === "uint8" || dtype === "bool" ? 1 : dtype === "uint16" || dtype === "float16" ? 2 : 4;
}

async function readFile<T>(path: string, read: (path: string) => Promise<T>): Promise<T> {
  try {
    return await read(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `Cannot load model: "${path}" does not exist`, { cause: err });
    }
    throw new MmmlError(
      "artifact_corrupt",
      `Cannot load model: cannot read "${path}": ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MmmlError(
      "artifact_corrupt",
      `Cannot load model "${path}": not valid JSON (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}

/** In-memory copies of every weight of a model (trainable or not), in `net.weights` order. */
export type WeightsSnapshot = readonly Float32Array[];

/**
 * Copies all weights out of the model, e.g. to restore the best epoch later. The reads are asynchronous
 * because a GPU backend (webgpu under Deno) cannot read a tensor synchronously.
 */
export async function getWeightsSnapshot(model: MmmlModel): Promise<WeightsSnapshot> {
  const values = await Promise.all(model.net.weights.map((w) => w.read().data()));
  return values.map((v) => Float32Array.from(v as Float32Array));
}

/** Writes a snapshot taken from a model of the same architecture back into it. */
export function setWeightsSnapshot(model: MmmlModel, snapshot: WeightsSnapshot): void {
  const weights = model.net.weights;
  if (snapshot.length !== weights.length) {
    throw new Error(
      `setWeightsSnapshot: the model has ${weights.length} weights, the snapshot ${snapshot.length}`,
    );
  }
  const tensors = weights.map((w, i) => tf.tensor(snapshot[i], w.shape as number[], w.dtype));
  try {
    model.net.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}
