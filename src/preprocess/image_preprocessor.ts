/**
 * Decoded pixels -> the model's input: [size, size, channels] NHWC floats, the same in training,
 * `mmml predict` and the server (no file system access here).
 *
 * Conventions, chosen to match torchvision's ImageFolder + ToTensor + Normalize where it matters:
 * - Alpha is dropped, not composited: PIL's `convert("RGB")`, which ImageFolder applies, does the same.
 * - Gray -> 3 channels replicates the value; RGB -> 1 channel is ITU-R 601-2 luma
 *   (0.299 R + 0.587 G + 0.114 B, PIL's "L").
 * - Resizing is bilinear with half-pixel centers and no antialiasing: source = (dst + 0.5) * in/out - 0.5,
 *   clamped to the edge. That is torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
 *   antialias=False) and tf.image.resize(method="bilinear", antialias=False); PIL's bilinear filter
 *   antialiases when shrinking, so large downscales differ from it.
 * - Values are scaled to [0, 1] (x / 255), then normalized per channel: (x - mean[c]) / std[c].
 */
import { MmmlError } from "../errors.ts";
import type { DecodedImage } from "../data/image_decode.ts";

/** Pixels as floats, row-major and interleaved: [height, width, channels]. */
export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** Anything with interleaved pixels: decoded uint8 images and float images alike. */
export interface PixelSource {
  width: number;
  height: number;
  channels: number;
  data: ArrayLike<number>;
}

/** A region of a source image in whole pixels. */
export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ImagePreprocessOptions {
  /** Output height and width. */
  size: number;
  channels: 1 | 3;
  /** One value for every channel, or one per channel, in [0, 1] units. */
  mean: readonly number[];
  std: readonly number[];
}

/** ITU-R 601-2 luma weights (PIL "L"). */
export const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * Resizes the whole image to `size` x `size`, converts channels, scales to [0, 1] and normalizes.
 * Resizing runs before the channel conversion: both are linear, so the result is the same and a gray
 * source is resized one channel instead of three.
 */
export function preprocessImage(decoded: DecodedImage, options: ImagePreprocessOptions): Float32Array {
  const { size, channels } = options;
  checkPreprocessOptions(options);
  const resized = resizeBilinear(decoded, size, size);
  const converted = convertChannels(resized, channels);
  return normalizeInPlace(converted.data, { ...options, divideBy: 255 });
}

/** Checks size, and that mean and std have 1 or `channels` entries with every std > 0. */
export function checkPreprocessOptions({ size, channels, mean, std }: ImagePreprocessOptions): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new MmmlError("config_invalid", `data.image.size: expected a positive integer, received ${size}`);
  }
  for (const [key, values] of [["mean", mean], ["std", std]] as const) {
    if (values.length !== 1 && values.length !== channels) {
      throw new MmmlError(
        "config_invalid",
        `data.image.${key}: expected 1 or ${channels} values for ${channels} channel(s), ` +
          `received ${values.length} (${values.join(", ")})`,
      );
    }
  }
  const bad = std.find((s) => !(s > 0));
  if (bad !== undefined) {
    throw new MmmlError("config_invalid", `data.image.std: expected values above 0, received ${bad}`);
  }
}

/** The image as floats in [0, 1] with `channels` channels, at its own size (augmentation's input). */
export function toFloatImage(decoded: DecodedImage, channels: 1 | 3): FloatImage {
  const { width, height } = decoded;
  const raw = { width, height, channels: decoded.channels, data: Float32Array.from(decoded.data) };
  const out = convertChannels(raw, channels);
  for (let i = 0; i < out.data.length; i++) out.data[i] /= 255;
  return out;
}

/**
 * Bilinear resize of `box` (default: the whole image) to outWidth x outHeight, half-pixel centers,
 * sampling clamped to the box's edge pixels, keeping the source's channels and value range.
 */
export function resizeBilinear(
  src: PixelSource,
  outWidth: number,
  outHeight: number,
  box: CropBox = { x: 0, y: 0, width: src.width, height: src.height },
): FloatImage {
  const c = src.channels;
  const s = src.data;
  const xs = sampleAxis(box.x, box.width, outWidth);
  const ys = sampleAxis(box.y, box.height, outHeight);
  const out = new Float32Array(outWidth * outHeight * c);
  const rowStride = src.width * c;
  let o = 0;
  for (let y = 0; y < outHeight; y++) {
    const r0 = ys.lo[y] * rowStride, r1 = ys.hi[y] * rowStride, fy = ys.frac[y];
    for (let x = 0; x < outWidth; x++) {
      const c0 = xs.lo[x] * c, c1 = xs.hi[x] * c, fx = xs.frac[x];
      for (let k = 0; k < c; k++) {
        // Lerp form a + (b - a) f: a constant region stays exactly constant.
        const a = s[r0 + c0 + k], b = s[r0 + c1 + k];
        const top = a + (b - a) * fx;
        const d = s[r1 + c0 + k], e = s[r1 + c1 + k];
        const bottom = d + (e - d) * fx;
        out[o++] = top + (bottom - top) * fy;
      }
    }
  }
  return { width: outWidth, height: outHeight, channels: c, data: out };
}

/** Source index pairs and weights along one axis for half-pixel-center sampling inside [start, start+length). */
function sampleAxis(start: number, length: number, out: number) {
  const lo = new Int32Array(out), hi = new Int32Array(out), frac = new Float64Array(out);
  const scale = length / out;
  for (let i = 0; i < out; i++) {
    const pos = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), length - 1);
    const l = Math.floor(pos);
    lo[i] = start + l;
    hi[i] = start + Math.min(l + 1, length - 1);
    frac[i] = pos - l;
  }
  return { lo, hi, frac };
}

/** Gray/gray+alpha/RGB/RGBA -> 1 or 3 channels: alpha dropped, gray replicated, RGB to luma. */
export function convertChannels(img: FloatImage, channels: 1 | 3): FloatImage {
  const { width, height, channels: from, data } = img;
  if (from === channels) return img;
  if (![1, 2, 3, 4].includes(from)) throw new RangeError(`cannot convert ${from} channels`);
  const n = width * height;
  const out = new Float32Array(n * channels);
  const colored = from >= 3;
  for (let i = 0, p = 0; i < n; i++, p += from) {
    if (channels === 1) {
      out[i] = colored ? LUMA[0] * data[p] + LUMA[1] * data[p + 1] + LUMA[2] * data[p + 2] : data[p];
    } else if (colored) {
      out[3 * i] = data[p];
      out[3 * i + 1] = data[p + 1];
      out[3 * i + 2] = data[p + 2];
    } else {
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = data[p];
    }
  }
  return { width, height, channels, data: out };
}

/**
 * In place: x -> (x / divideBy - mean[c]) / std[c] over interleaved channels (divideBy 255 takes bytes
 * to [0, 1]); a `mean`/`std` of one value applies to every channel. Returns `data`.
 */
export function normalizeInPlace(
  data: Float32Array,
  { channels, mean, std, divideBy = 1 }: {
    channels: number;
    mean: readonly number[];
    std: readonly number[];
    divideBy?: number;
  },
): Float32Array {
  const m = Float64Array.from({ length: channels }, (_, c) => mean[mean.length === 1 ? 0 : c]);
  const s = Float64Array.from({ length: channels }, (_, c) => std[std.length === 1 ? 0 : c]);
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < channels; c++) data[i + c] = (data[i + c] / divideBy - m[c]) / s[c];
  }
  return data;
}
