/**
 * The per-image work of the image loader, shared by the loader's own thread and its decode workers:
 * read a file, turn decoded pixels into one model input row, and a byte-budget LRU of decoded images.
 */
import { MmmlError } from "../errors.ts";
import { augment, type AugmentConfig } from "./augment.ts";
import {
  type ImagePreprocessOptions,
  normalizeInPlace,
  preprocessImage,
  toFloatImage,
} from "./image_preprocessor.ts";
import { createRng } from "../random.ts";
import type { DecodedImage } from "../data/image_decode.ts";

/** What turns a decoded image into a row: preprocessing plus the augmentation config. */
export interface SampleSettings extends ImagePreprocessOptions {
  augment: AugmentConfig;
}

/**
 * One model input row [size, size, channels]: plain preprocessing when `seed` is null (or augmentation
 * is disabled), else an augmented view drawn from a generator seeded with `seed`.
 */
export function sampleInput(
  image: DecodedImage,
  settings: SampleSettings,
  seed: number | null,
): Float32Array {
  if (seed === null || !settings.augment.enabled) return preprocessImage(image, settings);
  const view = augment(toFloatImage(image, settings.channels), createRng(seed), {
    ...settings.augment,
    size: settings.size,
  });
  return normalizeInPlace(view.data, settings);
}

/** A seed per (epoch seed, file): murmur3's finalizer mixes them so nearby inputs give unrelated streams. */
export function sampleSeed(seed: number, index: number): number {
  const mix = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  return mix((seed >>> 0) ^ mix(index + 0x9e3779b9));
}

/** Reads an image file; MmmlError file_not_found or invalid_input naming the path. */
export async function readImageFile(path: string): Promise<Uint8Array> {
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

export interface DecodeCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  cachedImages: number;
  cachedBytes: number;
}

/** LRU by bytes over decoded images, keyed by file index; images larger than the budget are not kept. */
export function createDecodeCache(capacityBytes: number) {
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
      if (size > capacityBytes || entries.has(key)) return;
      for (const [oldest, old] of entries) {
        if (bytes + size <= capacityBytes) break;
        entries.delete(oldest);
        bytes -= old.data.byteLength;
        evictions++;
      }
      entries.set(key, image);
      bytes += size;
    },
    stats: (): DecodeCacheStats => ({
      hits,
      misses,
      evictions,
      cachedImages: entries.size,
      cachedBytes: bytes,
    }),
  };
}
