/**
 * Image files as a DataSource that streams batches from disk.
 *
 * - A decode cache keeps decoded 8-bit pixels (not floats: 4x smaller) up to `cacheMb`, least recently
 *   used out first, so a small data set decodes once and a larger-than-memory one still streams.
 * - While the consumer trains on batch k, batches k+1..k+prefetch are read and decoded. Reads are
 *   asynchronous; decoding is CPU-bound, so without workers it runs on this thread between the
 *   consumer's awaits. With `workers` > 0, decode workers (started per pass, ended when it ends)
 *   read, decode and preprocess whole batches in parallel with training.
 * - Shuffling is a seeded permutation per epoch; augmentation (only with BatchOptions.augment) draws
 *   from a generator seeded by (epoch seed, file index), so results do not depend on timing or workers.
 * - A file that fails to decode is left out of its batch with one warning per file (an error with
 *   `strict`); `stats().failed` lists them. A file that cannot be read at all is an error.
 */
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  checkPreprocessOptions,
  type ImagePreprocessOptions,
  preprocessImage,
} from "./image_preprocessor.ts";
import { createRng, permutation } from "../random.ts";
import type { Batch, BatchOptions, DataSource } from "../data/data_source.ts";
import { decodeImage, decodeImageSync, loadImageCodecs } from "../data/image_decode.ts";
import type { WorkerJob, WorkerRequest, WorkerResponse, WorkerResult } from "./image_decode_worker.ts";
import {
  createDecodeCache,
  type DecodeCacheStats,
  readImageFile,
  sampleInput,
  sampleSeed,
  type SampleSettings,
} from "./image_sample.ts";

export interface ImageSourceOptions extends SampleSettings {
  numClasses: number;
  logger: Logger;
  /** Decode cache budget in MiB (0 = no cache). */
  cacheMb?: number;
  /** Batches prepared ahead of the one being consumed (0 = none). */
  prefetch?: number;
  /** Decode workers (0 = decode on this thread). */
  workers?: number;
  strict?: boolean;
}

/** Counters since the source was created. */
export interface ImageSourceStats extends DecodeCacheStats {
  /** Milliseconds spent decoding and preprocessing (incl. augmentation) on this thread. */
  decodeMs: number;
  preprocessMs: number;
  /** Milliseconds the decode workers spent decoding and preprocessing. */
  workerMs: number;
  /** Milliseconds the consumer waited for a batch that was not ready yet. */
  waitMs: number;
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
  const { size, channels, numClasses, logger, cacheMb = 512, prefetch = 2, workers = 0, strict = false } =
    options;
  checkPreprocessOptions(options);
  for (const [name, value] of [["prefetch", prefetch], ["workers", workers]] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a non-negative integer, received ${value}`);
    }
  }
  const labels = Int32Array.from(files, (f, i) => {
    if (!(Number.isInteger(f.label) && f.label >= 0 && f.label < numClasses)) {
      throw new RangeError(`files[${i}].label is ${f.label}, expected a class index in [0, ${numClasses})`);
    }
    return f.label;
  });
  const settings: SampleSettings = {
    size,
    channels,
    mean: [...options.mean],
    std: [...options.std],
    augment: options.augment,
  };
  const rowLength = size * size * channels;
  const cache = createDecodeCache(cacheMb * 1024 * 1024);
  const failed = new Set<number>();
  const timing = { decodeMs: 0, preprocessMs: 0, workerMs: 0, waitMs: 0 };

  /** A decode failure: skipped with one warning per file, or thrown when strict. */
  const skip = (index: number, err: Error): null => {
    if (strict) throw err;
    if (!failed.has(index)) {
      failed.add(index);
      logger.warn(`Skipping an image that fails to decode: ${err.message}`, { file: files[index].path });
    }
    return null;
  };

  const rowsHere = async (rows: Int32Array, seeds: (number | null)[]): Promise<(Float32Array | null)[]> => {
    const images = Array.from(rows, (i) => cache.get(i));
    const bytes = await Promise.all(images.map((img, k) => img ? null : readImageFile(files[rows[k]].path)));
    await loadImageCodecs();
    return images.map((image, k) => {
      const index = rows[k];
      if (image === undefined) {
        const t = performance.now();
        try {
          image = decodeImageSync(bytes[k]!, { source: `"${files[index].path}"` });
          cache.set(index, image);
        } catch (err) {
          if (!(err instanceof MmmlError)) throw err;
          return skip(index, err);
        } finally {
          timing.decodeMs += performance.now() - t;
        }
      }
      const t = performance.now();
      const row = sampleInput(image, settings, seeds[k]);
      timing.preprocessMs += performance.now() - t;
      return row;
    });
  };

  const rowsInPool = async (pool: WorkerPool, rows: Int32Array, seeds: (number | null)[]) => {
    const jobs = Array.from(rows, (index, k): WorkerJob => ({
      index,
      path: files[index].path,
      image: cache.get(index),
      seed: seeds[k],
    }));
    const response = await pool.run(settings, jobs);
    timing.workerMs += response.decodeMs + response.preprocessMs;
    return response.results.map((r: WorkerResult) => {
      if (r.decoded) cache.set(r.index, r.decoded);
      if (r.error === undefined) return r.row!;
      const err = r.error.code === null
        ? new Error(r.error.message)
        : new MmmlError(r.error.code as MmmlError["code"], r.error.message);
      if (!r.error.decode) throw err;
      return skip(r.index, err);
    });
  };

  const prepare = async (pool: WorkerPool | null, rows: Int32Array, seed: number, augmenting: boolean) => {
    const seeds = Array.from(rows, (i) => augmenting ? sampleSeed(seed, i) : null);
    const out = pool ? await rowsInPool(pool, rows, seeds) : await rowsHere(rows, seeds);
    const kept = out.flatMap((row, k) => row ? [k] : []);
    const x = new Float32Array(kept.length * rowLength);
    const y = new Int32Array(kept.length);
    kept.forEach((k, j) => {
      x.set(out[k]!, j * rowLength);
      y[j] = labels[rows[k]];
    });
    return { x, y, size: kept.length, rows: Int32Array.from(kept, (k) => rows[k]) };
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
    const pool = workers > 0 && n > 0 ? createWorkerPool(workers) : null;
    const pending: Promise<Batch>[] = [];
    let launched = 0;
    const launch = () => {
      const start = launched++ * batchSize;
      const p = prepare(pool, order.subarray(start, Math.min(n, start + batchSize)), seed, augment);
      // Rejections surface when the batch is awaited; until then they must not count as unhandled.
      p.catch(() => {});
      pending.push(p);
    };
    try {
      for (let k = 0; k < count; k++) {
        while (launched < Math.min(count, k + 1 + prefetch)) launch();
        const t = performance.now();
        const batch = await pending.shift()!;
        timing.waitMs += performance.now() - t;
        if (batch.size > 0) yield batch;
      }
    } finally {
      pool?.close();
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

interface WorkerPool {
  run(settings: SampleSettings, jobs: WorkerJob[]): Promise<WorkerResponse>;
  close(): void;
}

/** Decode workers taking whole batches in turn; a worker that crashes fails its pending batches. */
function createWorkerPool(count: number): WorkerPool {
  const pending = new Map<
    number,
    { worker: number; resolve: (r: WorkerResponse) => void; reject: (e: Error) => void }
  >();
  const fail = (worker: number, err: Error) => {
    for (const [id, p] of pending) {
      if (p.worker !== worker) continue;
      pending.delete(id);
      p.reject(err);
    }
  };
  const workers = Array.from({ length: count }, (_, w) => {
    const worker = new Worker(new URL("./image_decode_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = ({ data }: MessageEvent<WorkerResponse>) => {
      const p = pending.get(data.id);
      pending.delete(data.id);
      p?.resolve(data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      fail(w, new Error(`image decode worker ${w} failed: ${event.message}`));
    };
    return worker;
  });
  let nextId = 0;
  return {
    run(settings, jobs) {
      const id = nextId++;
      const w = id % count;
      return new Promise((resolve, reject) => {
        pending.set(id, { worker: w, resolve, reject });
        const request: WorkerRequest = { id, settings, jobs };
        workers[w].postMessage(request);
      });
    },
    close() {
      for (const w of workers) w.terminate();
      for (let w = 0; w < count; w++) fail(w, new Error("image decode workers closed"));
    },
  };
}
