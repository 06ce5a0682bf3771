import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { createRng } from "../random.ts";
import {
  drawPattern,
  encodeGrayJpegDcOnly,
  encodeImage,
  type Encoding,
  paletteColor,
} from "../../testing/image_fixtures.ts";
import { decodeImage, readImageHeader, sniffImageFormat } from "./image_decode.ts";

async function assertInvalidInput(fn: () => Promise<unknown>, fragments: string[]): Promise<void> {
  await assert.rejects(fn, (err) => {
    assert.ok(err instanceof MmmlError, `expected an MmmlError, got ${err}`);
    assert.equal(err.code, "invalid_input");
    for (const f of fragments) assert.ok(err.message.includes(f), `"${err.message}" lacks "${f}"`);
    return true;
  });
}

const picture = drawPattern("circle", 11, 9, createRng(3));

/** The RGBA picture reduced to the channels an encoding keeps. */
function expected(channels: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < picture.width * picture.height; i++) {
    for (const c of channels) out.push(picture.data[i * 4 + c]);
  }
  return out;
}

Deno.test("decodeImage keeps each PNG's own channels and every pixel exactly", async () => {
  const cases: [Encoding, 1 | 2 | 3 | 4, number[]][] = [
    ["png_gray", 1, [0]],
    ["png_gray_alpha", 2, [0, 3]],
    ["png_rgb", 3, [0, 1, 2]],
    ["png_rgba", 4, [0, 1, 2, 3]],
  ];
  for (const [encoding, channels, keep] of cases) {
    const image = await decodeImage(await encodeImage(picture, encoding));
    assert.deepEqual([image.width, image.height, image.channels], [11, 9, channels], encoding);
    assert.deepEqual(Array.from(image.data), expected(keep), encoding);
  }
});

Deno.test("decodeImage expands a palette PNG to RGB through its PLTE", async () => {
  const image = await decodeImage(await encodeImage(picture, "png_palette"));
  assert.equal(image.channels, 3);
  const want = expected([0]).flatMap((index) => paletteColor(index));
  assert.deepEqual(Array.from(image.data), want);
});

Deno.test("decodeImage reads a grayscale JPEG as one channel and an RGB JPEG as three", async () => {
  const gray = new Uint8Array(16 * 8);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) gray[y * 16 + x] = x < 8 ? 40 : 200;
  const g = await decodeImage(encodeGrayJpegDcOnly(16, 8, gray));
  assert.deepEqual([g.width, g.height, g.channels], [16, 8, 1]);
  assert.deepEqual(Array.from(g.data), Array.from(gray));

  const rgb = await decodeImage(await encodeImage(picture, "jpeg_rgb"));
  assert.deepEqual([rgb.width, rgb.height, rgb.channels], [11, 9, 3]);
  const want = expected([0, 1, 2]);
  const meanError = rgb.data.reduce((s, v, i) => s + Math.abs(v - want[i]), 0) / want.length;
  assert.ok(meanError < 12, `JPEG quality 95 should stay close to the source, mean |error| ${meanError}`);
});

Deno.test("decodeImage names the source and what it received for bytes that are not an image", async () => {
  await assertInvalidInput(
    () => decodeImage(new TextEncoder().encode("hello world"), { source: '"a/b.png"' }),
    ['"a/b.png"', "expected PNG or JPEG", "11 bytes starting 68 65 6c"],
  );
  await assertInvalidInput(() => decodeImage(new Uint8Array(0)), ["0 bytes"]);
});

Deno.test("decodeImage rejects a truncated PNG and JPEG and still decodes afterwards", async () => {
  const png = await encodeImage(picture, "png_rgb");
  const jpeg = await encodeImage(picture, "jpeg_rgb");
  await assertInvalidInput(() => decodeImage(png.subarray(0, 20), { source: "upload" }), [
    "upload",
    "PNG header",
  ]);
  await assertInvalidInput(() => decodeImage(png.subarray(0, png.length - 30)), ["corrupt PNG"]);
  await assertInvalidInput(() => decodeImage(jpeg.subarray(0, jpeg.length >> 1)), ["corrupt JPEG"]);
  // A failure must not poison the cached codec instance.
  assert.equal((await decodeImage(png)).width, 11);
  assert.equal((await decodeImage(jpeg)).width, 11);
});

Deno.test("decodeImage refuses an image whose header claims too many pixels before decoding it", async () => {
  const png = (await encodeImage(picture, "png_gray")).slice();
  const view = new DataView(png.buffer);
  view.setUint32(16, 100_000);
  view.setUint32(20, 100_000);
  await assertInvalidInput(() => decodeImage(png), ["at most 64000000 pixels", "100000x100000"]);
});

Deno.test("readImageHeader reads size and channels; sniffImageFormat the magic bytes", async () => {
  const jpeg = await encodeImage(picture, "jpeg_rgb");
  assert.deepEqual(readImageHeader(jpeg), { format: "jpeg", width: 11, height: 9, channels: 3 });
  const pal = await encodeImage(picture, "png_palette");
  assert.deepEqual(readImageHeader(pal), { format: "png", width: 11, height: 9, channels: 3 });
  assert.equal(sniffImageFormat(pal), "png");
  assert.equal(sniffImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), "jpeg");
  assert.equal(sniffImageFormat(new Uint8Array([0x47, 0x49, 0x46, 0x38])), null);
  assert.equal(readImageHeader(new Uint8Array([0xff, 0xd8, 0xff])), null);
});
