/**
 * `mmml predict` and `mmml evaluate` for image models: files are read, decoded, resized and normalised
 * by the same streaming loader training used for its test split (image_preprocessing.json of the
 * version, no augmentation), then run through the tfjs model. A file that fails to decode is skipped
 * with a warning naming it when a folder was given (as training does), and is an error when it was
 * named on its own.
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ImageDataConfig } from "../config/schema.ts";
import { IMAGE_EXTENSIONS, type ImageFile, scanImageFolder } from "../data/image_folder_adapter.ts";
import { createImageSource, type ImageSource } from "../preprocess/image_loader.ts";
import { MmmlError } from "../errors.ts";
import { createMemoryLogger, type Logger } from "../log.ts";
import type { MmmlModel } from "../models/model.ts";
import { classificationMetrics, type ClassificationReport } from "../evaluation/metrics.ts";
import type { TrainedImage } from "./trained_model.ts";
import { toPredictions } from "./tabular_scoring.ts";

/** Images per tfjs predict call: bounded so a ResNet at 224 px stays within a few hundred MB. */
export const IMAGE_BATCH = 16;

/** One output line of `mmml predict` for an image model. */
export interface ImagePrediction {
  /** The path as given on the command line, joined with the path below it for a folder. */
  file: string;
  label: string;
  probabilities: Record<string, number>;
}

export interface ImagePredictionResult {
  predictions: ImagePrediction[];
  /** Files (as in `file`) that failed to decode and were left out. */
  skipped: string[];
}

export interface ImageEvaluationResult {
  /** Images scored (skipped ones left out). */
  rows: number;
  metrics: ClassificationReport;
  skipped: string[];
}

export interface ImageRunOptions {
  logger?: Logger;
  /** How `path` reads in output and messages (the command line's spelling); default `path`. */
  display?: string;
  batchSize?: number;
}

/** Augmentation off: predict and evaluate see each image once, as training's test split does. */
const NO_AUGMENT = ImageDataConfig.shape.augment.parse({ enabled: false });

/**
 * The image files of `path`: the file itself, or every PNG/JPEG below a folder (any depth, hidden
 * entries left out), sorted by their path below it. Paths are [absolute, relative to `path`].
 */
export async function listImageFiles(path: string): Promise<{ folder: boolean; files: [string, string][] }> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `--input ${path}: no such file or folder`, { cause: err });
    }
    throw err;
  }
  if (!info.isDirectory) return { folder: false, files: [[path, ""]] };
  const files: [string, string][] = [];
  const walk = async (rel: string) => {
    const entries = await Array.fromAsync(Deno.readDir(join(path, rel)));
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(child);
      else if (IMAGE_EXTENSIONS.some((ext) => e.name.toLowerCase().endsWith(ext))) {
        files.push([join(path, child), child]);
      }
    }
  };
  await walk("");
  if (files.length === 0) {
    throw new MmmlError(
      "invalid_input",
      `--input ${path}: expected PNG or JPEG files (${IMAGE_EXTENSIONS.join(", ")}) in the folder or below ` +
        `it, received none`,
    );
  }
  files.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return { folder: true, files };
}

/** Predicts every image of `path` (a file or a folder) with `trained`, in sorted path order. */
export async function runImagePrediction(
  trained: TrainedImage,
  path: string,
  { logger = createMemoryLogger(), display = path, batchSize = IMAGE_BATCH }: ImageRunOptions = {},
): Promise<ImagePredictionResult> {
  const { folder, files } = await listImageFiles(path);
  const shown = (rel: string) => rel ? `${display.replace(/[\\/]+$/, "")}/${rel}` : display;
  const source = imageSource(trained, files.map(([abs]) => ({ path: abs, label: 0 })), !folder, logger);
  const { probs, rows } = await scoreImages(trained.model, source, batchSize);
  const failed = new Set(source.stats().failed);
  const kept = files.filter(([abs]) => !failed.has(abs));
  if (kept.length !== rows) throw new Error(`scored ${rows} images, expected ${kept.length}`);
  const predictions = toPredictions(probs, rows, trained.classes).map(({ label, probabilities }, i) => ({
    file: shown(kept[i][1]),
    label,
    probabilities,
  }));
  return { predictions, skipped: files.filter(([abs]) => failed.has(abs)).map(([, rel]) => shown(rel)) };
}

/**
 * Scores `trained` on a labelled image folder (`DIR/<class>/...`, or the test folder of a
 * `DIR/{train,val,test}/<class>/` tree). Its classes must be among the model's; the metrics are those
 * training reports for its test split.
 */
export async function runImageEvaluation(
  trained: TrainedImage,
  path: string,
  { logger = createMemoryLogger(), display = path, batchSize = IMAGE_BATCH }: ImageRunOptions = {},
): Promise<ImageEvaluationResult> {
  const folder = await scanImageFolder(path, { logger });
  const unknown = folder.classes.filter((c) => !trained.classes.includes(c));
  if (unknown.length) {
    const { name, version } = trained.version.meta;
    throw new MmmlError(
      "invalid_input",
      `--data ${display}: class folder(s) ${unknown.map((c) => `"${c}"`).join(", ")} are not classes of ` +
        `${name}@${version}; expected folders named among ${trained.classes.map((c) => `"${c}"`).join(", ")}`,
    );
  }
  let files: ImageFile[] = folder.files;
  if (folder.layout === "splits") {
    files = files.filter((f) => f.split === "test");
    if (files.length === 0) {
      throw new MmmlError(
        "invalid_input",
        `--data ${display}: a train/val/test folder is evaluated on its test folder, which holds no images`,
      );
    }
  }
  const labelled = files.map((f) => ({
    path: f.path,
    label: trained.classes.indexOf(folder.classes[f.label]),
  }));
  const source = imageSource(trained, labelled, false, logger);
  const { probs, y, rows } = await scoreImages(trained.model, source, batchSize);
  if (rows === 0) throw new MmmlError("invalid_input", `--data ${display}: no image could be decoded`);
  const k = trained.classes.length;
  const root = folder.root;
  return {
    rows,
    metrics: classificationMetrics(probs, y, k, trained.classes),
    skipped: source.stats().failed.map((p) => p.startsWith(root) ? `${display}${p.slice(root.length)}` : p),
  };
}

function imageSource(
  trained: TrainedImage,
  files: { path: string; label: number }[],
  strict: boolean,
  logger: Logger,
): ImageSource {
  const { size, channels, mean, std } = trained.image;
  return createImageSource(files, {
    size,
    channels,
    mean,
    std,
    augment: NO_AUGMENT,
    numClasses: trained.classes.length,
    logger,
    // Each image is read once: a cache would only hold memory.
    cacheMb: 0,
    prefetch: 1,
    strict,
  });
}

/** Probabilities [rows, k] and labels of every image the source yields, in source order. */
async function scoreImages(
  model: MmmlModel,
  source: ImageSource,
  batchSize: number,
): Promise<{ probs: Float32Array; y: Int32Array; rows: number }> {
  const k = model.spec.numClasses;
  const probs = new Float32Array(source.size * k);
  const y = new Int32Array(source.size);
  let rows = 0;
  for await (const batch of source.batches({ batchSize, shuffle: false, seed: 0, augment: false })) {
    const out = tf.tidy(() => model.predict(tf.tensor(batch.x, [batch.size, ...model.spec.inputShape])));
    try {
      // An asynchronous read, so this also runs on a GPU backend.
      probs.set(await out.data() as Float32Array, rows * k);
    } finally {
      out.dispose();
    }
    y.set(batch.y, rows);
    rows += batch.size;
  }
  return { probs: probs.subarray(0, rows * k), y: y.subarray(0, rows), rows };
}
