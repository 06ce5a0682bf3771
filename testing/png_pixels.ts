/**
 * A small PNG decoder for the browser test: 8-bit grey, grey+alpha, RGB and RGBA images without
 * interlacing (what Chromium's --screenshot writes), inflated with node:zlib and unfiltered per row.
 * Enough to look at a screenshot's pixels without adding an image library to the project.
 */
import { inflateSync } from "node:zlib";

/** Decoded pixels: `rgba` holds width * height * 4 bytes, row by row. */
export interface Pixels {
  width: number;
  height: number;
  rgba: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
/** Channels per pixel by PNG colour type (palette images are not supported). */
const CHANNELS = Object.freeze({ 0: 1, 2: 3, 4: 2, 6: 4 } as const satisfies Record<number, number>);

/** Decodes a PNG; throws Error naming what is unsupported or malformed. */
export function decodePng(bytes: Uint8Array): Pixels {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error(`not a PNG: the first bytes are ${[...bytes.subarray(0, 8)].join(",")}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      [width, height] = [view.getUint32(at + 8), view.getUint32(at + 12)];
      [depth, colorType, interlace] = [data[8], data[9], data[12]];
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  const channels = CHANNELS[colorType as keyof typeof CHANNELS];
  if (depth !== 8 || channels === undefined || interlace !== 0) {
    throw new Error(
      `unsupported PNG: bit depth ${depth}, colour type ${colorType}, interlace ${interlace} ` +
        `(supported: 8-bit grey, grey+alpha, RGB, RGBA, not interlaced)`,
    );
  }
  const raw = new Uint8Array(inflateSync(concat(idat)));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) {
    throw new Error(
      `PNG data holds ${raw.length} bytes, expected ${height * (stride + 1)} for ${width}x${height}`,
    );
  }
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    unfilter(
      raw[y * (stride + 1)],
      raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)),
      pixels,
      y,
      stride,
      channels,
    );
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = pixels.subarray(i * channels, (i + 1) * channels);
    const [r, g, b, a] = channels === 1
      ? [p[0], p[0], p[0], 255]
      : channels === 2
      ? [p[0], p[0], p[0], p[1]]
      : channels === 3
      ? [p[0], p[1], p[2], 255]
      : [p[0], p[1], p[2], p[3]];
    rgba.set([r, g, b, a], i * 4);
  }
  return { width, height, rgba };
}

/** Undoes one row's filter (None, Sub, Up, Average, Paeth) into `out`, using the row above. */
function unfilter(filter: number, row: Uint8Array, out: Uint8Array, y: number, stride: number, bpp: number) {
  const base = y * stride;
  for (let x = 0; x < stride; x++) {
    const a = x >= bpp ? out[base + x - bpp] : 0;
    const b = y > 0 ? out[base - stride + x] : 0;
    const c = x >= bpp && y > 0 ? out[base - stride + x - bpp] : 0;
    let pred: number;
    switch (filter) {
      case 0:
        pred = 0;
        break;
      case 1:
        pred = a;
        break;
      case 2:
        pred = b;
        break;
      case 3:
        pred = (a + b) >> 1;
        break;
      case 4: {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        break;
      }
      default:
        throw new Error(`PNG row ${y} has filter type ${filter}, expected 0-4`);
    }
    out[base + x] = (row[x] + pred) & 0xff;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
