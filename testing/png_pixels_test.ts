import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { decodePng } from "./png_pixels.ts";

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG whose rows were filtered by the encoder with the given filter bytes. */
function png(width: number, height: number, colorType: number, filteredRows: number[][]): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(new Uint8Array(filteredRows.flat())))),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

Deno.test("decodePng undoes the None, Sub, Up, Average and Paeth filters of an RGB image", () => {
  // 2x5 RGB; pixel values chosen, then each row filtered by hand as an encoder would.
  const rows = [
    [10, 20, 30, 40, 50, 60],
    [11, 22, 33, 44, 55, 66],
    [12, 24, 36, 48, 60, 72],
    [13, 26, 39, 52, 65, 78],
    [200, 100, 50, 25, 12, 6],
  ];
  const sub = (r: number[]) => r.map((v, i) => (v - (i >= 3 ? r[i - 3] : 0)) & 0xff);
  const up = (r: number[], p: number[]) => r.map((v, i) => (v - p[i]) & 0xff);
  const avg = (r: number[], p: number[]) =>
    r.map((v, i) => (v - (((i >= 3 ? r[i - 3] : 0) + p[i]) >> 1)) & 0xff);
  const paeth = (r: number[], p: number[]) =>
    r.map((v, i) => {
      const [a, b, c] = [i >= 3 ? r[i - 3] : 0, p[i], i >= 3 ? p[i - 3] : 0];
      const q = a + b - c;
      const [pa, pb, pc] = [Math.abs(q - a), Math.abs(q - b), Math.abs(q - c)];
      return (v - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
    });
  const filtered = [
    [0, ...rows[0]],
    [1, ...sub(rows[1])],
    [2, ...up(rows[2], rows[1])],
    [3, ...avg(rows[3], rows[2])],
    [4, ...paeth(rows[4], rows[3])],
  ];
  const { width, height, rgba } = decodePng(png(2, 5, 2, filtered));
  assert.deepEqual([width, height], [2, 5]);
  const expected = rows.flatMap((r) => [r[0], r[1], r[2], 255, r[3], r[4], r[5], 255]);
  assert.deepEqual([...rgba], expected);
});

Deno.test("decodePng reads grey and RGBA images and refuses what it does not support", () => {
  assert.deepEqual([...decodePng(png(2, 1, 0, [[0, 7, 9]])).rgba], [7, 7, 7, 255, 9, 9, 9, 255]);
  assert.deepEqual([...decodePng(png(1, 1, 6, [[0, 1, 2, 3, 4]])).rgba], [1, 2, 3, 4]);
  assert.throws(() => decodePng(png(1, 1, 3, [[0, 0]])), /unsupported PNG: bit depth 8, colour type 3/);
  assert.throws(() => decodePng(new Uint8Array([1, 2, 3])), /not a PNG/);
});
