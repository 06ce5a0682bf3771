/**
 * A decode worker of the image loader: reads, decodes and preprocesses (or augments) a batch's images
 * off the training thread. Started by image_loader.ts with
 * `new Worker(new URL("./image_decode_worker.ts", import.meta.url), { type: "module" })`.
 */
/// <reference lib="deno.worker" />
import { MmmlError } from "../errors.ts";
import { type DecodedImage, decodeImageSync, loadImageCodecs } from "../data/image_decode.ts";
import { readImageFile, sampleInput, type SampleSettings } from "./image_sample.ts";

export interface WorkerJob {
  index: number;
  path: string;
  /** The decoded image when the loader's cache has it; otherwise the worker reads `path`. */
  image?: DecodedImage;
  /** Augmentation seed, or null for plain preprocessing. */
  seed: number | null;
}

export interface WorkerRequest {
  id: number;
  settings: SampleSettings;
  jobs: WorkerJob[];
}

export interface WorkerResult {
  index: number;
  row?: Float32Array;
  /** Freshly decoded pixels, for the loader's cache. */
  decoded?: DecodedImage;
  /** `decode: true` marks a file that is not a decodable image (skippable); anything else is fatal. */
  error?: { code: string | null; message: string; decode: boolean };
}

export interface WorkerResponse {
  id: number;
  results: WorkerResult[];
  /** Milliseconds this worker spent decoding and preprocessing the batch. */
  decodeMs: number;
  preprocessMs: number;
}

self.onmessage = async ({ data: { id, settings, jobs } }: MessageEvent<WorkerRequest>) => {
  await loadImageCodecs();
  const bytes = await Promise.all(
    jobs.map((j) => j.image ? null : readImageFile(j.path).catch((err: unknown) => err as Error)),
  );
  let decodeMs = 0, preprocessMs = 0;
  const transfer: ArrayBuffer[] = [];
  const results = jobs.map((job, k): WorkerResult => {
    const read = bytes[k];
    if (read instanceof Error) return { index: job.index, error: describe(read, false) };
    let image = job.image, decoded: DecodedImage | undefined;
    if (image === undefined) {
      const t = performance.now();
      try {
        image = decoded = decodeImageSync(read!, { source: `"${job.path}"` });
      } catch (err) {
        return { index: job.index, error: describe(err, err instanceof MmmlError) };
      } finally {
        decodeMs += performance.now() - t;
      }
    }
    const t = performance.now();
    try {
      const row = sampleInput(image, settings, job.seed);
      transfer.push(row.buffer as ArrayBuffer);
      if (decoded) transfer.push(decoded.data.buffer as ArrayBuffer);
      return { index: job.index, row, decoded };
    } catch (err) {
      return { index: job.index, error: describe(err, false) };
    } finally {
      preprocessMs += performance.now() - t;
    }
  });
  const response: WorkerResponse = { id, results, decodeMs, preprocessMs };
  self.postMessage(response, { transfer: [...new Set(transfer)] });
};

function describe(err: unknown, decode: boolean): NonNullable<WorkerResult["error"]> {
  return {
    code: err instanceof MmmlError ? err.code : null,
    message: err instanceof Error ? err.message : String(err),
    decode,
  };
}
