/**
 * Turns encoded images into the exported graph's NHWC `input`: decode (PNG or JPEG), resize and
 * normalise with the version's image_preprocessing.json, exactly as training's loader does, so the
 * server sees the function training measured. The part of preprocessing ONNX does not hold.
 */
import type { ImageDecodePool } from "./image_decode_pool.ts";
import { decodeImage } from "../data/image_decode.ts";
import { MmmlError } from "../errors.ts";
import { checkPreprocessOptions, preprocessImage } from "../preprocess/image_preprocessor.ts";
import type { ImagePreprocessing } from "../preprocess/image_preprocessing.ts";
import type { OnnxRunner } from "./onnx_session.ts";

/**
 * Images per ONNX Runtime run in predictImages: a 224 px batch of 32 is 19 MB of input, and a ResNet's
 * first activations are some 30 times that.
 */
export const MAX_IMAGES_PER_RUN = 32;

/** A batch of preprocessed images, row-major [count, size, size, channels]. */
export interface ImageBatch {
  count: number;
  data: Float32Array;
  dims: [number, number, number, number];
}

export interface ImageInput {
  readonly size: number;
  readonly channels: 1 | 3;
  /** The version's image_preprocessing.json settings. */
  readonly pre: ImagePreprocessing;
  /**
   * Decodes and preprocesses `images[from, from + count)`; a bad image is an `invalid_input` error naming
   * its index (`images[3]`), what was expected and what was received. With a decode pool the work runs
   * off the event loop and `signal` abandons it.
   */
  encode(
    images: readonly Uint8Array[],
    from?: number,
    count?: number,
    signal?: AbortSignal,
  ): Promise<ImageBatch>;
}

/** Where a server decodes: its worker pool, and the per-image pixel limit (serving.limits). */
export interface ImageDecoding {
  pool: ImageDecodePool;
  maxPixels: number;
}

/**
 * Compiles the encoder for one model. `file` names the artifact in the error raised when its settings
 * cannot be used (a corrupt artifact, not a bad request).
 */
export function createImageInput(
  pre: ImagePreprocessing,
  file = "image_preprocessing.json",
  decoding?: ImageDecoding,
): ImageInput {
  try {
    checkPreprocessOptions(pre);
  } catch (err) {
    throw new MmmlError("artifact_corrupt", `${file}: ${(err as Error).message}`, { cause: err });
  }
  decoding?.pool.start();
  const { size, channels } = pre;
  const rowLength = size * size * channels;
  return {
    size,
    channels,
    pre,
    async encode(images, from = 0, count = images.length - from, signal) {
      if (decoding) {
        const part = images.slice(from, from + count);
        part.forEach((bytes, k) => {
          if (!(bytes instanceof Uint8Array)) {
            throw new MmmlError(
              "invalid_input",
              `images[${from + k}]: expected encoded PNG or JPEG bytes, received ${typeof bytes}`,
            );
          }
        });
        const data = await decoding.pool.decode(part, pre, {
          first: from,
          maxPixels: decoding.maxPixels,
          signal,
        });
        return { count, data, dims: [count, size, size, channels] };
      }
      const data = new Float32Array(count * rowLength);
      for (let k = 0; k < count; k++) {
        const i = from + k;
        const bytes = images[i];
        if (!(bytes instanceof Uint8Array)) {
          throw new MmmlError(
            "invalid_input",
            `images[${i}]: expected encoded PNG or JPEG bytes, received ${typeof bytes}`,
          );
        }
        const decoded = await decodeImage(bytes, { source: `images[${i}]` });
        data.set(preprocessImage(decoded, pre), k * rowLength);
      }
      return { count, data, dims: [count, size, size, channels] };
    },
  };
}

/** An image graph takes one NHWC `input` of the saved size and channels. */
export function checkImageSignature(
  session: Pick<OnnxRunner, "inputs">,
  image: ImageInput,
  file: string,
): void {
  const want = [-1, image.size, image.size, image.channels];
  const input = session.inputs.find((i) => i.name === "input");
  const fits = input && session.inputs.length === 1 && input.datatype === "FP32" &&
    input.shape.length === 4 && input.shape.every((d, i) => i === 0 || d < 0 || d === want[i]);
  if (!fits) {
    throw new MmmlError(
      "artifact_corrupt",
      `${file}: expected one FP32 input "input" [N, ${image.size}, ${image.size}, ${image.channels}] ` +
        `(image_preprocessing.json), received ${
          session.inputs.map((i) => `${i.name} ${i.datatype} [${i.shape}]`).join(", ")
        }`,
    );
  }
}
