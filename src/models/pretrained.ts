/**
 * Pretrained weights in one local file: a safetensors PyTorch state dict (read through
 * pretrained_sources.ts, which documents the name map), or mmml's own format "MMMLW1":
 *
 *   bytes 0..5     ASCII "MMMLW1"
 *   bytes 6..9     uint32, little-endian: H, the header's length in bytes
 *   bytes 10..10+H UTF-8 JSON header, padded with spaces so the data starts at a multiple of 4:
 *                  { "format": "MMMLW1", "arch": "resnet18", "numClasses": 1000,
 *                    "weights": [{ "name": "layer1.0.conv1/kernel", "shape": [3, 3, 64, 64],
 *                                  "dtype": "float32", "offset": 0 }, ...] }
 *                  `arch` and `numClasses` are informational; `offset` counts bytes from the data start.
 *   data           each weight's values as little-endian float32, row-major, in tfjs layouts:
 *                  conv kernels [kh, kw, in, out], depthwise kernels [kh, kw, channels, 1],
 *                  dense kernels [in, out]; batch norm gamma, beta, moving_mean, moving_variance.
 *
 * A weight's name is LAYER/WEIGHT, with the layer names of src/models/resnet.ts and efficientnet.ts
 * (torchvision's module paths; the classifier is "head").
 *
 * Converting torchvision weights (not done at run time; any script that writes this layout works): for
 * each state_dict entry "MODULE.PARAM" (skip num_batches_tracked), the name is MODULE with "fc"
 * (ResNet) or "classifier.1" (EfficientNet) replaced by "head", then "/" and PARAM mapped
 * weight -> kernel (conv, dense), depthwise_kernel (depthwise conv, groups == channels) or gamma (batch
 * norm), bias -> bias or beta, running_mean -> moving_mean, running_var -> moving_variance. Values are
 * transposed: conv weight [out, in, kh, kw] -> permute(2, 3, 1, 0); depthwise [c, 1, kh, kw] ->
 * permute(2, 3, 0, 1); linear weight [out, in] -> transpose. torchvision normalises inputs with the
 * ImageNet mean/std, which are mmml's image defaults.
 */
import { type BoundedReadOptions, checkFileBounded, FILE_LIMITS, readFileBounded } from "../bounded_read.ts";
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import { HEAD_LAYER } from "./mlp.ts";
import type { MmmlModel } from "./model.ts";
import { type Header, LITTLE_ENDIAN, PREFIX, PRETRAINED_MAGIC } from "./mmmlw_format.ts";
import { readPretrainedSource } from "./pretrained_sources.ts";

export { parsePretrained, PRETRAINED_MAGIC } from "./mmmlw_format.ts";

/** LAYER/WEIGHT for each weight of the model, with the tensor it names. */
function namedWeights(model: MmmlModel): { name: string; layer: string; variable: tf.LayerVariable }[] {
  return model.net.layers.flatMap((layer) =>
    layer.weights.map((variable) => ({
      // originalName, not name: tfjs suffixes `name` (_1, _2) when a process builds a model twice.
      name: `${layer.name}/${variable.originalName.split("/").at(-1)}`,
      layer: layer.name,
      variable,
    }))
  );
}

/** Writes every weight of the model (trainable and not) to PATH as an MMMLW1 file. */
export async function savePretrained(model: MmmlModel, path: string): Promise<void> {
  const weights = namedWeights(model);
  const values = await Promise.all(weights.map(async (w) => await w.variable.read().data() as Float32Array));
  let offset = 0;
  const entries = weights.map((w, i) => {
    const entry = { name: w.name, shape: w.variable.shape as number[], dtype: "float32" as const, offset };
    offset += values[i].length * 4;
    return entry;
  });
  const header: Header = {
    format: PRETRAINED_MAGIC,
    arch: model.config.arch,
    numClasses: model.spec.numClasses,
    weights: entries,
  };
  const text = JSON.stringify(header);
  const pad = (4 - ((PREFIX + new TextEncoder().encode(text).length) % 4)) % 4;
  const json = new TextEncoder().encode(text + " ".repeat(pad));
  const bytes = new Uint8Array(PREFIX + json.length + offset);
  bytes.set(new TextEncoder().encode(PRETRAINED_MAGIC), 0);
  new DataView(bytes.buffer).setUint32(PRETRAINED_MAGIC.length, json.length, true);
  bytes.set(json, PREFIX);
  // The data start and every offset are multiples of 4, so on little-endian hosts a typed-array copy
  // writes the documented byte order directly.
  const start = PREFIX + json.length;
  const data = new DataView(bytes.buffer, start);
  entries.forEach((entry, i) => {
    if (LITTLE_ENDIAN) new Float32Array(bytes.buffer, start + entry.offset, values[i].length).set(values[i]);
    else values[i].forEach((v, j) => data.setFloat32(entry.offset + 4 * j, v, true));
  });
  // Written beside and renamed, so a crash never leaves a truncated weights file under PATH.
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

export interface LoadPretrainedOptions {
  /**
   * When true, the head is loaded only if the file has it with the same shapes and is otherwise left at
   * its initialisation (a new class count); when false, the head must match like every other weight.
   */
  skipHead?: boolean;
  /** Layers to leave at their initialisation, e.g. ["conv1"] when the stem differs from the file's. */
  skipLayers?: readonly string[];
}

/** What loadPretrained did: weights assigned, and layers left at their initialisation. */
export interface LoadPretrainedResult {
  loaded: number;
  skippedLayers: string[];
}

/**
 * The layers whose pretrained weights cannot fit: the first conv of a file (torchvision's ImageNet stem on
 * 3 channels: ResNet's 7x7 `conv1`, EfficientNet's `features.0.0`) when the model has the small stem
 * (ResNet) or gray input; those start from their initialisation instead.
 */
export function pretrainedSkips(config: ModelConfig, channels: 1 | 3): string[] {
  if (config.arch === "mlp") return [];
  const resnet = config.arch.startsWith("resnet");
  const stemDiffers = (config.stem === "small" && resnet) || channels === 1;
  return stemDiffers ? [resnet ? "conv1" : "features.0.0"] : [];
}

/**
 * Assigns the weights of a pretrained file (MMMLW1, or safetensors with a PyTorch state dict:
 * pretrained_sources.ts) to the model by name. Every weight of the model (but skipped layers) must be in
 * the file with the same shape, and the file must hold nothing else; otherwise nothing is assigned and the
 * error names the weights that differ, with the file's own tensor names and both shapes.
 */
export async function loadPretrained(
  model: MmmlModel,
  path: string,
  { skipHead = true, skipLayers = [] }: LoadPretrainedOptions = {},
): Promise<LoadPretrainedResult> {
  const weights = namedWeights(model);
  const layers = new Map<string, Set<string>>();
  for (const w of weights) layers.set(w.layer, (layers.get(w.layer) ?? new Set()).add(w.name.split("/")[1]));
  const source = readPretrainedSource(await readBytes(path), path, layers);
  const fail = (what: string) =>
    new MmmlError(
      "invalid_input",
      `Cannot load pretrained weights "${path}"${source.arch ? ` (${source.arch})` : ""} into ` +
        `${model.config.arch} with input [${model.spec.inputShape}] and ${model.spec.numClasses} classes: ${what}`,
    );
  const inFile = source.weights;
  const named = (name: string) => {
    const from = inFile.get(name)?.from;
    return from ? `${from} (${name})` : name;
  };
  const skip = new Set(skipLayers);
  if (skipHead) {
    const head = weights.filter((w) => w.layer === HEAD_LAYER);
    const fits = head.every((w) => sameShape(inFile.get(w.name)?.shape, w.variable.shape));
    if (!fits) skip.add(HEAD_LAYER);
  }
  const wanted = weights.filter((w) => !skip.has(w.layer));
  const missing = wanted.filter((w) => !inFile.has(w.name)).map((w) => w.name);
  if (missing.length > 0) throw fail(`the file lacks ${list(missing)}`);
  const mismatched = wanted.filter((w) => !sameShape(inFile.get(w.name)!.shape, w.variable.shape))
    .map((w) => `${named(w.name)} (expected [${w.variable.shape}], received [${inFile.get(w.name)!.shape}])`);
  if (mismatched.length > 0) throw fail(`shapes differ for ${list(mismatched)}`);
  const known = new Set(weights.map((w) => w.name));
  const extra = [...inFile.keys()].filter((name) => !known.has(name)).map(named);
  if (extra.length > 0) throw fail(`the model has no weights named ${list(extra)}`);
  for (const w of wanted) {
    const entry = inFile.get(w.name)!;
    const values = entry.values();
    tf.tidy(() => {
      w.variable.write(tf.tensor(values, entry.shape, "float32"));
    });
  }
  return {
    loaded: wanted.length,
    skippedLayers: [...skip].filter((l) => weights.some((w) => w.layer === l)),
  };
}

/** Fails as loading would, before a run reads its data: the file is missing, not a file, or too large. */
export async function checkPretrainedFile(path: string): Promise<void> {
  await readBytes(path, checkFileBounded);
}

async function readBytes<T = Uint8Array>(
  path: string,
  read: (path: string, o: BoundedReadOptions) => Promise<T> = readFileBounded as never,
): Promise<T> {
  try {
    return await read(path, { what: "pretrained weights", maxBytes: FILE_LIMITS.pretrained });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `Cannot load pretrained weights: "${path}" does not exist`, {
        cause: err,
      });
    }
    if (err instanceof MmmlError) throw err;
    throw new MmmlError(
      "invalid_input",
      `Cannot read pretrained weights "${path}": ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function sameShape(a: readonly number[] | undefined, b: readonly (number | null)[]): boolean {
  return a !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The first few names and how many more, so a message stays readable for a whole wrong architecture. */
function list(names: string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
