/**
 * Writes the tiny image fixtures: deno run -A testing/image_fixtures.ts [OUT_DIR=fixtures/images]
 *
 * flat/<class>/  3 classes x 4 images (8..16 px) in every encoding the decoder must handle: PNG gray,
 *                gray + alpha, RGB, RGBA and palette, JPEG RGB and gray; plus flat/circle/broken.png
 *                (not an image: skipped at scan), flat/square/truncated.jpg (a valid header, cut-off
 *                data: fails at decode) and flat/stripes/notes.txt (unsupported extension).
 * split/{train,val,test}/<class>/  an explicit-split layout, 2 classes.
 *
 * Everything is drawn from a seed, so rerunning the script rewrites the same bytes. PNG and RGB JPEG
 * are encoded with imagescript; it has no palette or grayscale-JPEG encoder, so palette PNGs are its
 * gray PNG with the color type patched and a PLTE chunk added, and gray JPEGs come from the small
 * DC-only baseline encoder below (flat 8x8 blocks, quantizer 8, so every pixel decodes exactly).
 */
import { Image } from "imagescript";
import pngJs from "imagescript/png/node.js";
import { createRng, type Rng } from "../src/random.ts";

export type Encoding =
  | "png_gray"
  | "png_gray_alpha"
  | "png_rgb"
  | "png_rgba"
  | "png_palette"
  | "jpeg_rgb"
  | "jpeg_gray";
export type Pattern = "circle" | "square" | "stripes";

/** Pixels as RGBA, row-major. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A class pattern with seeded jitter in position, size and color. */
export function drawPattern(pattern: Pattern, width: number, height: number, rng: Rng): Rgba {
  const data = new Uint8Array(width * height * 4);
  const fg = [150 + rng.int(100), 150 + rng.int(100), 150 + rng.int(100)];
  const bg = [rng.int(60), rng.int(60), rng.int(60)];
  const cx = width / 2 + (rng.next() - 0.5) * 2;
  const cy = height / 2 + (rng.next() - 0.5) * 2;
  const r = Math.min(width, height) * (0.25 + rng.next() * 0.1);
  const period = 2 + rng.int(2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const on = pattern === "circle"
        ? (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r
        : pattern === "square"
        ? Math.abs(x + 0.5 - cx) <= r && Math.abs(y + 0.5 - cy) <= r
        : Math.floor(y / period) % 2 === 0;
      const c = on ? fg : bg;
      const i = (y * width + x) * 4;
      data.set([c[0], c[1], c[2], on ? 255 : 128], i);
    }
  }
  return { width, height, data };
}

/** Encodes RGBA pixels; channels the encoding lacks are dropped (gray = the red channel). */
export async function encodeImage(img: Rgba, encoding: Encoding): Promise<Uint8Array> {
  const { width, height, data } = img;
  const pick = (channels: number[]) => {
    const out = new Uint8Array(width * height * channels.length);
    for (let i = 0; i < width * height; i++) {
      channels.forEach((c, k) => out[i * channels.length + k] = data[i * 4 + c]);
    }
    return out;
  };
  const png = (pixels: Uint8Array, channels: number) =>
    pngJs.encode(pixels, { width, height, channels, level: 6 }) as Uint8Array;
  switch (encoding) {
    case "png_gray":
      return png(pick([0]), 1);
    case "png_gray_alpha":
      return png(pick([0, 3]), 2);
    case "png_rgb":
      return png(pick([0, 1, 2]), 3);
    case "png_rgba":
      return png(pick([0, 1, 2, 3]), 4);
    case "png_palette":
      return paletteFromGray(png(pick([0]), 1));
    case "jpeg_rgb": {
      const image = new Image(width, height);
      image.bitmap.set(data);
      return await image.encodeJPEG(95);
    }
    case "jpeg_gray":
      return encodeGrayJpegDcOnly(width, height, pick([0]));
  }
}

/**
 * A gray PNG turned into a palette PNG whose entry i is (i, 255 - i, i / 2): the 8-bit indices are the
 * same bytes, so only the color type and a PLTE chunk change.
 */
function paletteFromGray(grayPng: Uint8Array): Uint8Array {
  const ihdrEnd = 8 + 12 + 13;
  const head = grayPng.slice(0, ihdrEnd);
  head[25] = 3;
  new DataView(head.buffer).setUint32(29, crc32(head.subarray(12, 29)));
  const plte = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) plte.set([i, 255 - i, i >> 1], i * 3);
  return concat([head, pngChunk("PLTE", plte), grayPng.subarray(ihdrEnd)]);
}

/** The RGB a palette fixture pixel decodes to, for tests. */
export function paletteColor(index: number): [number, number, number] {
  return [index, 255 - index, index >> 1];
}

function pngChunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set([...type].map((c) => c.charCodeAt(0)), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
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

/**
 * A baseline, single-component JPEG that codes only each 8x8 block's DC term (the block's mean, with
 * quantizer 8 so the coefficient is mean - 128 exactly): the decoded image is the block means.
 */
export function encodeGrayJpegDcOnly(width: number, height: number, gray: Uint8Array): Uint8Array {
  const bw = Math.ceil(width / 8), bh = Math.ceil(height / 8);
  const bytes: number[] = [];
  let acc = 0, nbits = 0;
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++nbits === 8) {
        bytes.push(acc);
        if (acc === 0xff) bytes.push(0); // byte stuffing
        acc = 0;
        nbits = 0;
      }
    }
  };
  let previous = 0;
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let sum = 0;
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          // Edge blocks repeat the last row/column, as encoders do.
          sum += gray[Math.min(by * 8 + y, height - 1) * width + Math.min(bx * 8 + x, width - 1)];
        }
      }
      const dc = Math.round(sum / 64) - 128;
      const diff = dc - previous;
      previous = dc;
      const size = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      put(size, 4); // DC table: category k has the 4-bit code k
      if (size > 0) put(diff > 0 ? diff : diff + (1 << size) - 1, size);
      put(0, 1); // AC table: its one symbol, end-of-block, has the 1-bit code 0
    }
  }
  if (nbits > 0) put((1 << (8 - nbits)) - 1, 8 - nbits); // pad with ones
  const segment = (
    marker: number,
    body: number[],
  ) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const dqt = [0, ...new Array(64).fill(8)];
  const sof = [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
  const dcCounts = [0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const dht = [0x00, ...dcCounts, ...Array.from({ length: 12 }, (_, k) => k)];
  const acCounts = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const dhtAc = [0x10, ...acCounts, 0x00];
  const sos = [1, 1, 0x00, 0, 63, 0];
  return Uint8Array.from([
    0xff,
    0xd8,
    ...segment(0xdb, dqt),
    ...segment(0xc0, sof),
    ...segment(0xc4, [...dht, ...dhtAc]),
    ...segment(0xda, sos),
    ...bytes,
    0xff,
    0xd9,
  ]);
}

const FLAT: Record<Pattern, [Encoding, number, number][]> = {
  circle: [["png_gray", 12, 12], ["png_rgb", 16, 16], ["jpeg_rgb", 16, 16], ["png_palette", 10, 10]],
  square: [["png_rgba", 16, 16], ["jpeg_gray", 16, 16], ["png_gray_alpha", 8, 8], ["png_rgb", 12, 14]],
  stripes: [["png_rgb", 16, 12], ["png_gray", 16, 16], ["jpeg_rgb", 8, 8], ["png_rgba", 12, 12]],
};

const EXTENSION = { png: ".png", jpeg: ".jpg" } as const;

function fileName(i: number, encoding: Encoding): string {
  // Mixed-case extensions on purpose: the adapter must accept any case.
  const ext = encoding.startsWith("png") ? EXTENSION.png : i % 2 === 0 ? EXTENSION.jpeg : ".JPEG";
  return `${String(i).padStart(2, "0")}_${encoding}${ext}`;
}

/** Writes the whole fixture tree under `root`. */
export async function writeImageFixtures(root: string, seed = 7): Promise<void> {
  const rng = createRng(seed);
  await Deno.remove(root, { recursive: true }).catch(() => {});
  for (const [pattern, specs] of Object.entries(FLAT) as [Pattern, [Encoding, number, number][]][]) {
    const dir = `${root}/flat/${pattern}`;
    await Deno.mkdir(dir, { recursive: true });
    for (const [i, [encoding, w, h]] of specs.entries()) {
      await Deno.writeFile(
        `${dir}/${fileName(i, encoding)}`,
        await encodeImage(drawPattern(pattern, w, h, rng), encoding),
      );
    }
  }
  await Deno.writeFile(
    `${root}/flat/circle/broken.png`,
    new TextEncoder().encode("this is not a PNG at all"),
  );
  const jpeg = await encodeImage(drawPattern("square", 16, 16, rng), "jpeg_rgb");
  await Deno.writeFile(`${root}/flat/square/truncated.jpg`, jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
  await Deno.writeTextFile(`${root}/flat/stripes/notes.txt`, "not an image\n");

  const perSplit = { train: 3, val: 1, test: 1 } as const;
  for (const [split, count] of Object.entries(perSplit)) {
    for (const pattern of ["circle", "square"] as const) {
      const dir = `${root}/split/${split}/${pattern}`;
      await Deno.mkdir(dir, { recursive: true });
      for (let i = 0; i < count; i++) {
        const bytes = await encodeImage(drawPattern(pattern, 8 + 2 * i, 8 + 2 * i, rng), "png_rgb");
        await Deno.writeFile(`${dir}/${i}.png`, bytes);
      }
    }
  }
}

if (import.meta.main) {
  const root = Deno.args[0] ?? "fixtures/images";
  await writeImageFixtures(root);
  console.error(`wrote image fixtures under ${root}`);
}
