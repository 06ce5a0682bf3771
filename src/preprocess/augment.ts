/**
 * Training-time augmentation, seeded: the same image, seed and config give the same pixels on every
 * machine. Works on [0, 1] floats before normalization, in torchvision's usual order:
 * random resized crop (or a plain resize) -> horizontal flip -> rotation -> color jitter.
 *
 * Each step follows its torchvision namesake: RandomResizedCrop's sampling (10 tries, then a center
 * crop), RandomHorizontalFlip(p=0.5), RandomRotation (uniform angle in [-d, d] about the center, zero
 * fill; bilinear here, torchvision defaults to nearest) and ColorJitter (factors uniform in
 * [max(0, 1 - x), 1 + x], applied in a random order; saturation leaves one-channel images unchanged).
 */
import type { z } from "zod";
import type { ImageDataConfig } from "../config/schema.ts";
import type { Rng } from "../random.ts";
import { type CropBox, type FloatImage, LUMA, resizeBilinear } from "./image_preprocessor.ts";

export type AugmentConfig = z.infer<typeof ImageDataConfig>["augment"];

/** Aspect ratios RandomResizedCrop samples from (log-uniform), as torchvision. */
export const CROP_RATIO = [3 / 4, 4 / 3] as const;

/**
 * One random view of `image` at `size` x `size`. With `enabled: false` it is a plain resize and draws
 * nothing from `rng`. Returns a new image; `image` is not changed.
 */
export function augment(
  image: FloatImage,
  rng: Rng,
  { size, ...config }: AugmentConfig & { size: number },
): FloatImage {
  if (!config.enabled) return resizeBilinear(image, size, size);
  const crop = config.random_resized_crop;
  const box = crop.enabled ? randomResizedCropBox(image.width, image.height, rng, crop.scale) : undefined;
  let out = resizeBilinear(image, size, size, box);
  if (config.hflip && rng.next() < 0.5) out = hflip(out);
  if (config.rotation_degrees > 0) out = rotate(out, (rng.next() * 2 - 1) * config.rotation_degrees);
  colorJitter(out, rng, config.color_jitter);
  return out;
}

/** torchvision RandomResizedCrop.get_params: a box of area fraction in `scale` and aspect in CROP_RATIO. */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  scale: readonly [number, number],
): CropBox {
  const area = width * height;
  const logRatio = [Math.log(CROP_RATIO[0]), Math.log(CROP_RATIO[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + rng.next() * (scale[1] - scale[0]));
    const ratio = Math.exp(logRatio[0] + rng.next() * (logRatio[1] - logRatio[0]));
    const w = Math.round(Math.sqrt(target * ratio));
    const h = Math.round(Math.sqrt(target / ratio));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { x: rng.int(width - w + 1), y: rng.int(height - h + 1), width: w, height: h };
    }
  }
  // Fallback: the largest center crop whose aspect lies within CROP_RATIO.
  const aspect = width / height;
  let w = width, h = height;
  if (aspect < CROP_RATIO[0]) h = Math.round(width / CROP_RATIO[0]);
  else if (aspect > CROP_RATIO[1]) w = Math.round(height * CROP_RATIO[1]);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

/** Mirrors left to right (a new image). */
export function hflip({ width, height, channels, data }: FloatImage): FloatImage {
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      const from = row + x * channels, to = row + (width - 1 - x) * channels;
      for (let k = 0; k < channels; k++) out[to + k] = data[from + k];
    }
  }
  return { width, height, channels, data: out };
}

/**
 * Rotates by `degrees` counter-clockwise about the image center (a new image of the same size):
 * bilinear sampling, with pixels from outside the source counting as 0.
 */
export function rotate({ width, height, channels, data }: FloatImage, degrees: number): FloatImage {
  const out = new Float32Array(data.length);
  const t = degrees * Math.PI / 180;
  const cos = Math.cos(t), sin = Math.sin(t);
  const cx = (width - 1) / 2, cy = (height - 1) / 2;
  const at = (x: number, y: number, k: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : data[(y * width + x) * channels + k];
  const row = width * channels;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Output -> source: the inverse rotation (y grows downward on screen).
      const dx = x - cx, dy = y - cy;
      const sx = cx + cos * dx - sin * dy;
      const sy = cy + sin * dx + cos * dy;
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= width || y0 >= height) continue;
      const fx = sx - x0, fy = sy - y0;
      const o = (y * width + x) * channels;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        // All four neighbours inside: index directly (most pixels).
        const p = y0 * row + x0 * channels;
        for (let k = 0; k < channels; k++) {
          const top = data[p + k] * (1 - fx) + data[p + channels + k] * fx;
          const bottom = data[p + row + k] * (1 - fx) + data[p + row + channels + k] * fx;
          out[o + k] = top * (1 - fy) + bottom * fy;
        }
        continue;
      }
      for (let k = 0; k < channels; k++) {
        const top = at(x0, y0, k) * (1 - fx) + at(x0 + 1, y0, k) * fx;
        const bottom = at(x0, y0 + 1, k) * (1 - fx) + at(x0 + 1, y0 + 1, k) * fx;
        out[o + k] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return { width, height, channels, data: out };
}

type JitterConfig = AugmentConfig["color_jitter"];
const JITTERS = ["brightness", "contrast", "saturation"] as const satisfies readonly (keyof JitterConfig)[];

/** ColorJitter in place: each enabled adjustment once, in a random order, values clamped to [0, 1]. */
export function colorJitter(img: FloatImage, rng: Rng, config: JitterConfig): FloatImage {
  const order = [...JITTERS];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const name of order) {
    const amount = config[name];
    if (amount <= 0) continue;
    const factor = Math.max(0, 1 - amount) + rng.next() * (1 + amount - Math.max(0, 1 - amount));
    ADJUST[name](img, factor);
  }
  return img;
}

/** torchvision's adjust_* functions: blend with black, the mean gray level, or the pixel's own gray. */
export const ADJUST = {
  brightness: (img: FloatImage, factor: number) => blendConstant(img.data, factor, 0),
  contrast: (img: FloatImage, factor: number) => {
    const { channels, data } = img;
    let sum = 0;
    if (channels < 3) { for (let p = 0; p < data.length; p += channels) sum += data[p]; }
    else for (let p = 0; p < data.length; p += channels) sum += luma(data, p);
    blendConstant(data, factor, sum / (img.width * img.height));
  },
  saturation: (img: FloatImage, factor: number) => {
    const { channels, data } = img;
    if (channels < 3) return;
    const keep = 1 - factor;
    for (let p = 0; p < data.length; p += channels) {
      const base = keep * luma(data, p);
      for (let k = p; k < p + 3; k++) data[k] = clamp01(factor * data[k] + base);
    }
  },
} as const satisfies Record<(typeof JITTERS)[number], (img: FloatImage, factor: number) => void>;

function luma(data: Float32Array, p: number): number {
  return LUMA[0] * data[p] + LUMA[1] * data[p + 1] + LUMA[2] * data[p + 2];
}

/** x -> clamp(factor * x + (1 - factor) * other) over every value (alpha is already gone). */
function blendConstant(data: Float32Array, factor: number, other: number): void {
  const base = (1 - factor) * other;
  for (let p = 0; p < data.length; p++) data[p] = clamp01(factor * data[p] + base);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
