/**
 * Decoding and resizing images off the event loop, for the server: a fixed set of workers
 * (image_decode_worker.ts) and a bounded queue in front of them. A full queue is 503 with Retry-After
 * (`overloaded`), not an ever longer wait; a request whose deadline passes (its AbortSignal) leaves the
 * queue, or, if a worker is already decoding it, that worker is replaced, so abandoned work does not
 * keep a core busy.
 */
import { MmmlError } from "../errors.ts";
import type { ImagePreprocessing } from "../preprocess/image_preprocessing.ts";
import type { DecodeJob, DecodeReply } from "./image_decode_worker.ts";

export interface ImageDecodePool {
  /** Decodes and preprocesses `images` into rows of `pre.size² x pre.channels` floats. */
  decode(
    images: Uint8Array[],
    pre: ImagePreprocessing,
    options: { first?: number; maxPixels: number; signal?: AbortSignal },
  ): Promise<Float32Array>;
  /**
   * Starts the workers now (idempotent), so their start-up is paid when an image model loads rather
   * than inside the first request's deadline.
   */
  start(): void;
  /** Jobs waiting and running, for tests and metrics. */
  readonly pending: number;
  close(): void;
}

interface Task {
  job: DecodeJob;
  resolve: (data: Float32Array) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
}

/** Worker count for "auto": leave a core for the event loop and ONNX Runtime, use at most 4. */
export function autoDecodeWorkers(cores = navigator.hardwareConcurrency || 1): number {
  return Math.max(1, Math.min(4, cores - 1));
}

export function createImageDecodePool(
  { workers: count, queue: maxQueue, retryAfterS = 1 }: {
    workers: number;
    queue: number;
    retryAfterS?: number;
  },
): ImageDecodePool {
  const queue: Task[] = [];
  const slots: { worker: Worker; task: Task | null }[] = [];
  let nextId = 1;
  let closed = false;

  const spawn = (): Worker => {
    const worker = new Worker(new URL("./image_decode_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = ({ data }: MessageEvent<DecodeReply>) => {
      const slot = slots.find((s) => s.worker === worker);
      const task = slot?.task;
      if (!slot || !task || task.job.id !== data.id) return;
      slot.task = null;
      if ("data" in data) task.resolve(data.data);
      else {
        const code = data.error.code === "invalid_input" ? "invalid_input" : "internal";
        task.reject(new MmmlError(code, data.error.message));
      }
      pump();
    };
    worker.onerror = (event) => {
      event.preventDefault();
      const slot = slots.find((s) => s.worker === worker);
      if (!slot) return;
      slot.task?.reject(new Error(`image decode worker failed: ${event.message}`));
      replace(slot);
    };
    return worker;
  };

  const replace = (slot: { worker: Worker; task: Task | null }) => {
    slot.worker.terminate();
    slot.task = null;
    if (!closed) slot.worker = spawn();
    pump();
  };

  const pump = () => {
    for (const slot of slots) {
      if (slot.task || queue.length === 0) continue;
      const task = queue.shift()!;
      slot.task = task;
      slot.worker.postMessage(task.job, task.job.images.map((b) => b.buffer as ArrayBuffer));
    }
  };

  // Started when an image model loads (or on the first image request): a server of tabular models
  // never pays for them.
  const start = () => {
    while (!closed && slots.length < count) slots.push({ worker: spawn(), task: null });
  };

  return {
    start,
    decode(images, pre, { first = 0, maxPixels, signal }) {
      if (closed) return Promise.reject(new Error("the image decode pool is closed"));
      start();
      if (signal?.aborted) return Promise.reject(signal.reason);
      const waiting = queue.length;
      if (waiting >= maxQueue) {
        return Promise.reject(
          new MmmlError(
            "overloaded",
            `${waiting} image requests are waiting to be decoded, the limit (serving.limits.decode_queue); ` +
              `retry in ${retryAfterS} s`,
            { details: { retry_after_s: retryAfterS } },
          ),
        );
      }
      // Copies, so transferring them to the worker leaves the caller's buffers intact.
      const copies = images.map((b) => b.slice());
      return new Promise<Float32Array>((resolve, reject) => {
        const task: Task = {
          job: { id: nextId++, pre, images: copies, first, maxPixels },
          resolve,
          reject,
          signal,
        };
        signal?.addEventListener("abort", () => {
          const i = queue.indexOf(task);
          if (i >= 0) queue.splice(i, 1);
          const slot = slots.find((s) => s.task === task);
          if (slot) replace(slot);
          reject(signal.reason);
        }, { once: true });
        queue.push(task);
        pump();
      });
    },
    get pending() {
      return queue.length + slots.filter((s) => s.task).length;
    },
    close() {
      closed = true;
      for (const t of queue.splice(0)) t.reject(new Error("the image decode pool is closed"));
      for (const s of slots) {
        s.task?.reject(new Error("the image decode pool is closed"));
        s.worker.terminate();
      }
    },
  };
}
