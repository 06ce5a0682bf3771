/**
 * Image files as a DataSource that streams batches from disk.
 *
 * - A decode cache keeps decoded 8-bit pixels (not floats: 4x smaller) up to `cacheMb`, least recently
 *   used out first, so a small data set decodes once and a larger-than-memory one still streams.
 * - While the consumer trains on batch k, batches k+1..k+prefetch are read and decoded. Reads are
 *   asynchronous; decoding runs on this thread between the consumer's awaits.
 * - Shuffling is a seeded permutation per epoch; augmentation (only with BatchOptions.augment) draws
 *   from a generator seeded by (epoch seed, file index), so its result does not depend on timing.
 * - A file that fails to decode is left out of its batch with one warning per file (an error with
 *   `strict`); `stats().failed` lists them.
 */
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { augment, type AugmentConfig } from "../preprocess/augment.ts";
import {
  checkPreprocessOptions,
  type ImagePreprocessOptions,
  normalizeInPlace,
  preprocessImage,
  toFloatImage,
} from "../preprocess/image_preprocessor.ts";
import { createRng, permutation } from "../random.ts";
import type { Batch, BatchOptions, DataSource } from "../training/data_source.ts";
import { type DecodedImage, decodeImage } from "./image_decode.ts";

export interface ImageSourceOptions extends ImagePreprocessOptions {
  augment: AugmentConfig;
  numClasses: number;
  logger: Logger;
  /** Decode cache budget in MiB (0 = no cache). */
  cacheMb?: number;
  /** Batches prepared ahead of the one being consumed (0 = none). */
  prefetch?: number;
  strict?: boolean;
}

/** Counters since the source was created. */
export interface ImageSourceStats {
  hits: number;
  misses: number;
  evictions: number;
  cachedImages: number;
  cachedBytes: number;
  /** Milliseconds spent reading files, decoding, and preprocessing (incl. augmentation). */
  readMs: number;
  decodeMs: number;
  preprocessMs: number;
  /** Paths that failed to decode. */
  failed: string[];
}

export interface ImageSource extends DataSource {
  stats(): ImageSourceStats;
}

/** A DataSource over labeled image files; see the module comment. */
export function createImageSource(
  files: readonly { path: string; label: number }[],
  options: ImageSourceOptions,
): ImageSource {
  const { size, channels, numClasses, logger, cacheMb = 512, prefetch = 2, strict = false } = options;
  checkPreprocessOptions(options);
  if (!Number.isInteger(prefetch) || prefetch < 0) {
    throw new RangeError(`prefetch must be a non-negative integer, received ${prefetch}`);
  }
  const labels = Int32Array.from(files, (f, i) => {
    if (!(Number.isInteger(f.label) && f.label >= 0 && f.label < numClasses)) {
      throw new RangeError(`files[${i}].label is ${f.label}, expected a class index in [0, ${numClasses})`);
    }
    return f.label;
  });
  const rowLength = size * size * channels;
  const cache = createDecodeCache(cacheMb * 1024 * 1024);
  const failed = new Set<number>();
  const timing = { readMs: 0, decodeMs: 0, preprocessMs: 0 };

  const load = async (index: number): Promise<DecodedImage | null> => {
    const hit = cache.get(index);
    if (hit) return hit;
    const path = files[index].path;
    let t = performance.now();
    const bytes = await readImageFile(path);
    timing.readMs += performance.now() - t;
    t = performance.now();
    try {
      const image = await decodeImage(bytes, { source: `"${path}"` });
      cache.set(index, image);
      return image;
    } catch (err) {
      if (strict || !(err instanceof MmmlError)) throw err;
      if (!failed.has(index)) {
        failed.add(index);
        logger.warn(`Skipping an image that fails to decode: ${err.message}`, { file: path });
      }
      return null;
    } finally {
      timing.decodeMs += performance.now() - t;
    }
  };

  const prepare = async (rows: Int32Array, seed: number, augmenting: boolean): Promise<Batch> => {
    const images = await Promise.all(Array.from(rows, load));
    const t = performance.now();
    const kept = images.flatMap((img, i) => img ? [i] : []);
    const x = new Float32Array(kept.length * rowLength);
    const y = new Int32Array(kept.length);
    kept.forEach((i, k) => {
      const index = rows[i];
      y[k] = labels[index];
      x.set(toInput(images[i]!, augmenting ? createRng(sampleSeed(seed, index)) : null), k * rowLength);
    });
    timing.preprocessMs += performance.now() - t;
    return { x, y, size: kept.length };
  };

  const toInput = (image: DecodedImage, rng: ReturnType<typeof createRng> | null): Float32Array => {
    if (rng === null || !options.augment.enabled) return preprocessImage(image, options);
    const view = augment(toFloatImage(image, channels), rng, { ...options.augment, size });
    return normalizeInPlace(view.data, options);
  };

  async function* batches(
    { batchSize, shuffle, seed, augment = false }: BatchOptions,
  ): AsyncGenerator<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, received ${batchSize}`);
    }
    const n = files.length;
    const order = shuffle ? permutation(n, createRng(seed)) : Int32Array.from({ length: n }, (_, i) => i);
    const count = Math.ceil(n / batchSize);
    const pending: Promise<Batch>[] = [];
    let launched = 0;
    const launch = () => {
      const start = launched++ * batchSize;
      const p = prepare(order.subarray(start, Math.min(n, start + batchSize)), seed, augment);
      // Rejections surface when the batch is awaited; until then they must not count as unhandled.
      p.catch(() => {});
      pending.push(p);
    };
    for (let k = 0; k < count; k++) {
      while (launched < Math.min(count, k + 1 + prefetch)) launch();
      const batch = await pending.shift()!;
      if (batch.size > 0) yield batch;
    }
  }

  return {
    size: files.length,
    inputShape: [size, size, channels],
    numClasses,
    labels: () => labels,
    batches,
    stats: () => ({
      ...cache.stats(),
      ...timing,
      failed: [...failed].sort((a, b) => a - b).map((i) => files[i].path),
    }),
  };
}

/**
 * One image file as the model's input, [size, size, channels] NHWC (for `mmml predict`).
 * Throws MmmlError file_not_found or invalid_input naming the path.
 */
export async function loadImageTensorFromFile(
  path: string,
  options: ImagePreprocessOptions,
): Promise<Float32Array> {
  checkPreprocessOptions(options);
  return preprocessImage(await decodeImage(await readImageFile(path), { source: `"${path}"` }), options);
}

async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `Cannot read image "${path}": file not found`, { cause: err });
    }
    throw new MmmlError("invalid_input", `Cannot read image "${path}": ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** A seed per (epoch seed, file): murmur3's finalizer mixes them so nearby inputs give unrelated streams. */
function sampleSeed(seed: number, index: number): number {
  const mix = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  return mix((seed >>> 0) ^ mix(index + 0x9e3779b9));
}

/** LRU by bytes over decoded images, keyed by file index. */
function createDecodeCache(capacity: number) {
  const entries = new Map<number, DecodedImage>();
  let bytes = 0, hits = 0, misses = 0, evictions = 0;
  return {
    get(key: number): DecodedImage | undefined {
      const image = entries.get(key);
      if (image === undefined) {
        misses++;
        return undefined;
      }
      hits++;
      entries.delete(key); // re-insert: a Map iterates oldest first
      entries.set(key, image);
      return image;
    },
    set(key: number, image: DecodedImage): void {
      const size = image.data.byteLength;
      if (size > capacity || entries.has(key)) return;
      for (const [oldest, old] of entries) {
        if (bytes + size <= capacity) break;
        entries.delete(oldest);
        bytes -= old.data.byteLength;
        evictions++;
      }
      entries.set(key, image);
      bytes += size;
    },
    stats: () => ({ hits, misses, evictions, cachedImages: entries.size, cachedBytes: bytes }),
  };
}
