import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import type { DecodedImage } from "../data/image_decode.ts";
import { convertChannels, preprocessImage, resizeBilinear, toFloatImage } from "./image_preprocessor.ts";

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

function constant(width: number, height: number, pixel: number[]): DecodedImage {
  const data = new Uint8Array(width * height * pixel.length);
  for (let i = 0; i < data.length; i++) data[i] = pixel[i % pixel.length];
  return { width, height, channels: pixel.length as 1 | 2 | 3 | 4, data };
}

Deno.test("preprocessImage resizes and normalizes a constant image exactly", () => {
  const out = preprocessImage(constant(7, 5, [10, 100, 250]), { size: 4, channels: 3, ...IMAGENET });
  assert.equal(out.length, 4 * 4 * 3);
  const want = [10, 100, 250].map((v, c) => Math.fround((v / 255 - IMAGENET.mean[c]) / IMAGENET.std[c]));
  for (let i = 0; i < out.length; i++) assert.equal(out[i], want[i % 3], `value ${i}`);
});

Deno.test("preprocessImage replicates gray into 3 channels and applies one mean/std to all", () => {
  const out = preprocessImage(constant(3, 3, [200]), { size: 2, channels: 3, ...IMAGENET });
  const want = IMAGENET.mean.map((m, c) => Math.fround((200 / 255 - m) / IMAGENET.std[c]));
  assert.deepEqual(Array.from(out), [...want, ...want, ...want, ...want]);
  const single = preprocessImage(constant(3, 3, [51]), { size: 3, channels: 1, mean: [0.5], std: [0.5] });
  assert.deepEqual(Array.from(single), new Array(9).fill(Math.fround((51 / 255 - 0.5) / 0.5)));
});

Deno.test("preprocessImage drops alpha and turns RGB into luma for one channel", () => {
  const opaque = preprocessImage(constant(2, 2, [10, 20, 30]), { size: 2, channels: 3, mean: [0], std: [1] });
  const clear = preprocessImage(constant(2, 2, [10, 20, 30, 0]), {
    size: 2,
    channels: 3,
    mean: [0],
    std: [1],
  });
  assert.deepEqual(Array.from(clear), Array.from(opaque));
  const grayAlpha = preprocessImage(constant(2, 2, [90, 7]), { size: 2, channels: 1, mean: [0], std: [1] });
  assert.deepEqual(Array.from(grayAlpha), new Array(4).fill(Math.fround(90 / 255)));
  const luma = preprocessImage(constant(1, 1, [255, 0, 0]), { size: 1, channels: 1, mean: [0], std: [1] });
  assert.ok(Math.abs(luma[0] - 0.299) < 1e-6, `red luma ${luma[0]}`);
});

Deno.test("resizeBilinear samples half-pixel centers clamped to the edge, like torch align_corners=False", () => {
  const up = resizeBilinear({ width: 2, height: 1, channels: 1, data: [0, 255] }, 4, 1);
  assert.deepEqual(Array.from(up.data), [0, 63.75, 191.25, 255]);
  const down = resizeBilinear({ width: 4, height: 1, channels: 1, data: [0, 1, 2, 3] }, 2, 1);
  assert.deepEqual(Array.from(down.data), [0.5, 2.5]);
  const crop = resizeBilinear({ width: 4, height: 1, channels: 1, data: [0, 1, 2, 3] }, 2, 1, {
    x: 2,
    y: 0,
    width: 2,
    height: 1,
  });
  assert.deepEqual(Array.from(crop.data), [2, 3]);
});

Deno.test("resizeBilinear to the same size returns every pixel unchanged", () => {
  const data = Uint8Array.from({ length: 5 * 3 * 2 }, (_, i) => (i * 37) % 256);
  const same = resizeBilinear({ width: 5, height: 3, channels: 2, data }, 5, 3);
  assert.deepEqual(Array.from(same.data), Array.from(data));
});

Deno.test("toFloatImage scales to [0, 1] and converts channels at the source size", () => {
  const img = toFloatImage(constant(3, 2, [255, 0, 51, 9]), 3);
  assert.deepEqual([img.width, img.height, img.channels], [3, 2, 3]);
  assert.deepEqual(Array.from(img.data.subarray(0, 3)), [1, 0, Math.fround(0.2)]);
  const rgb = convertChannels({ width: 1, height: 1, channels: 1, data: Float32Array.of(0.25) }, 3);
  assert.deepEqual(Array.from(rgb.data), [0.25, 0.25, 0.25]);
});

Deno.test("preprocessImage names the field when mean or std do not fit the channels", () => {
  const img = constant(2, 2, [1]);
  assert.throws(
    () => preprocessImage(img, { size: 2, channels: 1, mean: [0.1, 0.2, 0.3], std: [1] }),
    (err) =>
      err instanceof MmmlError && err.code === "config_invalid" &&
      err.message.includes("data.image.mean: expected 1 or 1 values for 1 channel(s), received 3"),
  );
  assert.throws(
    () => preprocessImage(img, { size: 2, channels: 3, mean: [0], std: [0.2, 0, 1] }),
    (err) =>
      err instanceof MmmlError && err.message.includes("data.image.std: expected values above 0, received 0"),
  );
  assert.throws(
    () => preprocessImage(img, { size: 0, channels: 1, mean: [0], std: [1] }),
    /data\.image\.size/,
  );
});
