/**
 * A serving decode worker (image_decode_pool.ts): decodes and preprocesses one request's images off the
 * server's event loop, so health checks and other requests are answered while it works. Started with
 * `new Worker(new URL("./image_decode_worker.ts", import.meta.url), { type: "module" })`.
 */
/// <reference lib="deno.worker" />
import { MmmlError } from "../errors.ts";
import { decodeImageSync, loadImageCodecs } from "../data/image_decode.ts";
import { preprocessImage } from "../preprocess/image_preprocessor.ts";
import type { ImagePreprocessing } from "../preprocess/image_preprocessing.ts";

export interface DecodeJob {
  id: number;
  pre: ImagePreprocessing;
  images: Uint8Array[];
  /** Index of images[0] in the request, for messages (`images[3]`). */
  first: number;
  maxPixels: number;
}

export type DecodeReply =
  | { id: number; data: Float32Array }
  | { id: number; error: { code: string | null; message: string } };

self.onmessage = async ({ data: job }: MessageEvent<DecodeJob>) => {
  try {
    await loadImageCodecs();
    const row = job.pre.size * job.pre.size * job.pre.channels;
    const data = new Float32Array(job.images.length * row);
    job.images.forEach((bytes, k) => {
      const decoded = decodeImageSync(bytes, {
        source: `images[${job.first + k}]`,
        maxPixels: job.maxPixels,
      });
      data.set(preprocessImage(decoded, job.pre), k * row);
    });
    self.postMessage({ id: job.id, data } satisfies DecodeReply, [data.buffer]);
  } catch (err) {
    const code = err instanceof MmmlError ? err.code : null;
    self.postMessage({ id: job.id, error: { code, message: (err as Error).message } } satisfies DecodeReply);
  }
};
