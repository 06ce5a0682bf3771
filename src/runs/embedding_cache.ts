/**
 * The embedding cache for a frozen backbone (Ludwig's `cache_encoder_embeddings`). With the backbone frozen
 * and no augmentation, every epoch would run the same images through the same weights: instead the
 * backbone runs once per image, its pooled features (the input of the classifier head) are kept, and
 * the head alone trains on them, as a one-layer model on an in-memory matrix. Batch order, initial head
 * weights, optimizer and rates are those of the uncached run, so the head ends with the same weights.
 *
 * The features are written to the run's work folder under a key of the backbone's weights, the
 * preprocessing and the data's fingerprint, and are removed when the head has trained.
 */
import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { MmmlConfig } from "../config/schema.ts";
import type { DataSource } from "../data/data_source.ts";
import { createRng, permutation } from "../random.ts";
import type { Logger } from "../log.ts";
import { HEAD_LAYER, wrapLayersModel } from "../models/mlp.ts";
import type { MmmlModel } from "../models/model.ts";
import type { FitResult } from "../training/trainer.ts";

/** The layer whose output the head reads (before dropout): see classifierHead. */
const FEATURE_LAYER = "avgpool";
export const EMBEDDINGS_DIR = "embeddings";

/** Features beyond this many bytes are not cached (they are held in memory while the head trains). */
export const MAX_CACHE_BYTES = 2 ** 31;

/** Why the cache is not used for this run, or null when it is. */
export function embeddingCacheVerdict(
  config: MmmlConfig,
  o: { augment: boolean; resumed: boolean; featureWidth: number | null; rows: number },
): string | null {
  if (config.model.arch === "mlp" || !config.model.freeze_backbone) return "the backbone is not frozen";
  if (!config.training.cache_embeddings) return "training.cache_embeddings is false";
  if (o.augment) return "augmentation is on (data.image.augment.enabled: false turns it off)";
  if (o.resumed) return "the run is resumed from a checkpoint of the whole model";
  if (o.featureWidth === null) return `the model has no "${FEATURE_LAYER}" layer before its head`;
  const bytes = o.rows * o.featureWidth * 4;
  if (bytes > MAX_CACHE_BYTES) {
    return `${o.rows} images x ${o.featureWidth} features would hold ${(bytes / 2 ** 30).toFixed(1)} GiB ` +
      `in memory (over ${MAX_CACHE_BYTES / 2 ** 30} GiB)`;
  }
  return null;
}

/** The cache key: the backbone's weights, the image preprocessing and the data's content. */
export async function embeddingKey(
  model: MmmlModel,
  config: MmmlConfig,
  fingerprint: string,
): Promise<string> {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ image: config.data.image, arch: config.model.arch, fingerprint }));
  for (const layer of model.net.layers) {
    if (layer.name === HEAD_LAYER) continue;
    for (const w of layer.getWeights()) {
      const values = await w.data() as Float32Array;
      hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  }
  return hash.digest("hex").slice(0, 24);
}

/**
 * Runs every row of `source` (in order) through the backbone. Returns [size, features] row-major and
 * which rows the source delivered (an undecodable image is skipped by every epoch alike).
 */
export async function extractFeatures(model: MmmlModel, source: DataSource, batchSize: number) {
  const pooled = model.net.getLayer(FEATURE_LAYER).output as tf.SymbolicTensor;
  const width = pooled.shape[pooled.shape.length - 1] as number;
  const backbone = tf.model({ inputs: model.net.inputs, outputs: pooled });
  const out = new Float32Array(source.size * width);
  const present = new Uint8Array(source.size);
  let next = 0;
  for await (const batch of source.batches({ batchSize, shuffle: false, seed: 0, augment: false })) {
    const features = tf.tidy(() => {
      const x = tf.tensor(batch.x, [batch.size, ...source.inputShape]);
      return backbone.predict(x) as tf.Tensor;
    });
    try {
      const values = await features.data() as Float32Array;
      for (let i = 0; i < batch.size; i++) {
        const row = batch.rows ? batch.rows[i] : next + i;
        out.set(values.subarray(i * width, (i + 1) * width), row * width);
        present[row] = 1;
      }
    } finally {
      features.dispose();
    }
    next += batch.size;
  }
  return { features: out, present, width };
}

/**
 * A feature matrix as a source with `source`'s labels and size, batching as an image folder does: the
 * seeded permutation of all rows cut into batches, rows that were not delivered left out of theirs.
 */
export function featureSource(
  features: Float32Array,
  present: Uint8Array,
  width: number,
  source: DataSource,
): DataSource {
  const labels = source.labels();
  const n = source.size;
  return {
    size: n,
    inputShape: [width],
    numClasses: source.numClasses,
    labels: () => labels,
    async *batches({ batchSize, shuffle, seed }) {
      const order = shuffle ? permutation(n, createRng(seed)) : Int32Array.from({ length: n }, (_, i) => i);
      for (let start = 0; start < n; start += batchSize) {
        const rows = order.subarray(start, Math.min(n, start + batchSize)).filter((r) => present[r] === 1);
        if (rows.length === 0) continue;
        const x = new Float32Array(rows.length * width);
        rows.forEach((r, j) => x.set(features.subarray(r * width, (r + 1) * width), j * width));
        yield { x, y: Int32Array.from(rows, (r) => labels[r]), size: rows.length, rows };
      }
    },
  };
}

/** The classifier head alone (dropout, as in the model, then its dense layer), with the model's weights. */
export function headModel(model: MmmlModel, width: number): MmmlModel {
  const config = model.config as { dropout?: number };
  const rate = config.dropout ?? 0;
  const head = model.net.getLayer(HEAD_LAYER) as tf.layers.Layer & { units: number };
  const net = tf.sequential({ name: "cached_head" });
  if (rate > 0) net.add(tf.layers.dropout({ rate, inputShape: [width], name: "dropout" }));
  net.add(tf.layers.dense({
    units: head.units,
    activation: head.getConfig().activation as "softmax",
    name: HEAD_LAYER,
    ...(rate > 0 ? {} : { inputShape: [width] }),
  }));
  const weights = head.getWeights();
  net.getLayer(HEAD_LAYER).setWeights(weights);
  return wrapLayersModel(net, model.config, { ...model.spec, inputShape: [width] });
}

/** Copies the trained head's weights into the model's head. */
export function adoptHead(model: MmmlModel, head: MmmlModel): void {
  const trained = head.net.getLayer(HEAD_LAYER).getWeights();
  model.net.getLayer(HEAD_LAYER).setWeights(trained);
}

export interface CachedSplits {
  train: DataSource;
  val: DataSource | null;
  width: number;
  /** Seconds spent running the backbone. */
  seconds: number;
}

/** The train and validation features, computed once and written to the work folder under the key. */
export async function cachedSplits(
  model: MmmlModel,
  splits: { train: DataSource; val: DataSource | null },
  o: { workDir: string; key: string; batchSize: number; logger: Logger },
): Promise<CachedSplits> {
  const dir = join(o.workDir, EMBEDDINGS_DIR, o.key);
  await Deno.mkdir(dir, { recursive: true });
  const started = performance.now();
  let width = 0;
  const one = async (name: string, source: DataSource) => {
    const path = join(dir, `${name}.f32`);
    const { features, present, width: w } = await extractFeatures(model, source, o.batchSize);
    width = w;
    await Deno.writeFile(`${path}.rows`, present);
    await Deno.writeFile(`${path}.tmp`, new Uint8Array(features.buffer));
    await Deno.rename(`${path}.tmp`, path);
    return featureSource(features, present, w, source);
  };
  const train = await one("train", splits.train);
  const val = splits.val ? await one("val", splits.val) : null;
  const seconds = (performance.now() - started) / 1000;
  o.logger.info(
    `embedding cache: ${splits.train.size + (splits.val?.size ?? 0)} images -> ${width} features each ` +
      `in ${seconds.toFixed(2)} s (the backbone runs once)`,
  );
  return { train, val, width, seconds };
}

/** What the trainer fits: the whole model on images, or its head on cached features. */
export interface FitInputs {
  model: MmmlModel;
  train: DataSource;
  val: DataSource | null;
  /** The config the run's callbacks see: no checkpoints of a head alone (they could not resume the run). */
  config: MmmlConfig;
  /** Seconds the backbone ran to fill the cache (0 uncached). */
  cacheSeconds: number;
  /** Moves a trained head into the model and drops the cache; nothing to do uncached. */
  finish(): Promise<void>;
}

/** Chooses between the whole model and the cached head (logging why, for a frozen backbone). */
export async function fitInputs(
  model: MmmlModel,
  data: { train: DataSource; val: DataSource | null; augment: boolean; fingerprint: string },
  config: MmmlConfig,
  o: { workDir: string; resumed: boolean; logger: Logger },
): Promise<FitInputs> {
  const layer = model.net.layers.find((l) => l.name === FEATURE_LAYER);
  const shape = layer ? (layer.output as tf.SymbolicTensor).shape : null;
  const verdict = embeddingCacheVerdict(config, {
    augment: data.augment,
    resumed: o.resumed,
    featureWidth: shape ? shape[shape.length - 1] as number : null,
    rows: data.train.size + (data.val?.size ?? 0),
  });
  if (verdict) {
    if (config.model.arch !== "mlp" && config.model.freeze_backbone) {
      o.logger.info(`embedding cache off: ${verdict}`);
    }
    return {
      model,
      train: data.train,
      val: data.val,
      config,
      cacheSeconds: 0,
      finish: () => Promise.resolve(),
    };
  }
  const key = await embeddingKey(model, config, data.fingerprint);
  const cache = await cachedSplits(model, data, { ...o, key, batchSize: config.training.batch_size });
  const head = headModel(model, cache.width);
  const training = { ...config.training, checkpoint: { ...config.training.checkpoint, enabled: false } };
  return {
    model: head,
    train: cache.train,
    val: cache.val,
    config: { ...config, training },
    cacheSeconds: cache.seconds,
    async finish() {
      adoptHead(model, head);
      head.net.dispose();
      await Deno.remove(join(o.workDir, EMBEDDINGS_DIR), { recursive: true });
    },
  };
}

/** A fit's figures with the backbone's one pass counted as training time. */
export function withCacheSeconds(fit: FitResult, seconds: number): FitResult {
  if (seconds === 0) return fit;
  const trainSeconds = fit.trainSeconds + seconds;
  return { ...fit, trainSeconds, samplesPerSecond: fit.samplesPerSecond * fit.trainSeconds / trainSeconds };
}
