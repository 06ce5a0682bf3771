import assert from "node:assert/strict";
import { ImageDataConfig } from "../config/schema.ts";
import { createRng } from "../random.ts";
import {
  ADJUST,
  augment,
  type AugmentConfig,
  colorJitter,
  hflip,
  randomResizedCropBox,
  rotate,
} from "./augment.ts";
import { type FloatImage, resizeBilinear } from "./image_preprocessor.ts";

const DEFAULTS: AugmentConfig = ImageDataConfig.parse({}).augment;

/** A seeded noise image in [0, 1]. */
function noise(width: number, height: number, channels: number, seed = 1): FloatImage {
  const rng = createRng(seed);
  return {
    width,
    height,
    channels,
    data: Float32Array.from({ length: width * height * channels }, () => rng.next()),
  };
}

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

Deno.test("augment is deterministic for a seed, differs across seeds, and changes the image", () => {
  const img = noise(20, 14, 3);
  const a = augment(img, createRng(5), { ...DEFAULTS, size: 12 });
  const b = augment(img, createRng(5), { ...DEFAULTS, size: 12 });
  const c = augment(img, createRng(6), { ...DEFAULTS, size: 12 });
  assert.deepEqual([a.width, a.height, a.channels], [12, 12, 3]);
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  assert.ok(maxDiff(a.data, c.data) > 0.1, "another seed gives another view");
  const plain = resizeBilinear(img, 12, 12);
  assert.ok(maxDiff(a.data, plain.data) > 0.1, "augmentation changes the pixels");
  assert.ok(a.data.every((v) => v >= 0 && v <= 1), "values stay in [0, 1]");
});

Deno.test("augment with enabled false is a plain resize and draws nothing", () => {
  const img = noise(9, 9, 1);
  const rng = createRng(3);
  const out = augment(img, rng, { ...DEFAULTS, enabled: false, size: 6 });
  assert.deepEqual(Array.from(out.data), Array.from(resizeBilinear(img, 6, 6).data));
  assert.equal(rng.next(), createRng(3).next());
});

Deno.test("each augmentation alone changes the image", () => {
  const off = {
    ...DEFAULTS,
    hflip: false,
    rotation_degrees: 0,
    random_resized_crop: { enabled: false, scale: [0.8, 1] as [number, number] },
    color_jitter: { brightness: 0, contrast: 0, saturation: 0 },
  };
  const img = noise(10, 10, 3, 2);
  const plain = resizeBilinear(img, 10, 10).data;
  assert.equal(
    maxDiff(augment(img, createRng(1), { ...off, size: 10 }).data, plain),
    0,
    "all off = identity",
  );
  const variants: Record<string, AugmentConfig> = {
    crop: { ...off, random_resized_crop: { enabled: true, scale: [0.3, 0.5] } },
    rotation: { ...off, rotation_degrees: 30 },
    brightness: { ...off, color_jitter: { ...off.color_jitter, brightness: 0.5 } },
    contrast: { ...off, color_jitter: { ...off.color_jitter, contrast: 0.5 } },
    saturation: { ...off, color_jitter: { ...off.color_jitter, saturation: 0.5 } },
  };
  for (const [name, config] of Object.entries(variants)) {
    const changed = [1, 2, 3].some((seed) =>
      maxDiff(augment(img, createRng(seed), { ...config, size: 10 }).data, plain) > 1e-3
    );
    assert.ok(changed, `${name} changes the image`);
  }
  const flips = [1, 2, 3, 4, 5, 6].map((seed) =>
    maxDiff(augment(img, createRng(seed), { ...off, hflip: true, size: 10 }).data, plain) > 0
  );
  assert.ok(flips.includes(true) && flips.includes(false), "flip happens for some seeds and not others");
});

Deno.test("hflip mirrors each row and flipping twice is the identity", () => {
  const img: FloatImage = {
    width: 3,
    height: 2,
    channels: 2,
    data: Float32Array.from({ length: 12 }, (_, i) => i),
  };
  assert.deepEqual(Array.from(hflip(img).data), [4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7]);
  const big = noise(7, 5, 3);
  assert.deepEqual(Array.from(hflip(hflip(big)).data), Array.from(big.data));
});

Deno.test("rotate turns counter-clockwise about the center, zero-filling outside", () => {
  const img: FloatImage = {
    width: 3,
    height: 3,
    channels: 1,
    data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]),
  };
  const quarter = Array.from(rotate(img, 90).data, (v) => Math.round(v * 1e6) / 1e6);
  assert.deepEqual(quarter, [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  assert.deepEqual(Array.from(rotate(img, 0).data), Array.from(img.data));
  const tilted = rotate(noise(8, 8, 1), 45);
  assert.equal(tilted.data[0], 0, "a corner rotated out of the source is filled with 0");
});

Deno.test("randomResizedCropBox stays inside the image with area and aspect in range", () => {
  const rng = createRng(9);
  for (let i = 0; i < 200; i++) {
    const box = randomResizedCropBox(64, 48, rng, [0.3, 0.9]);
    assert.ok(
      box.x >= 0 && box.y >= 0 && box.x + box.width <= 64 && box.y + box.height <= 48,
      JSON.stringify(box),
    );
    const area = (box.width * box.height) / (64 * 48);
    assert.ok(area > 0.25 && area < 0.95, `area ${area}`);
    const aspect = box.width / box.height;
    assert.ok(aspect > 0.7 && aspect < 1.4, `aspect ${aspect}`);
  }
  // Impossible scale -> the center-crop fallback at an allowed aspect.
  assert.deepEqual(randomResizedCropBox(40, 10, createRng(1), [2, 3]), {
    x: 13,
    y: 0,
    width: 13,
    height: 10,
  });
});

Deno.test("color jitter follows torchvision: brightness scales, contrast keeps a flat image, clamps to [0, 1]", () => {
  const flat: FloatImage = { width: 2, height: 2, channels: 3, data: new Float32Array(12).fill(0.4) };
  ADJUST.contrast(flat, 1.7);
  assert.ok(flat.data.every((v) => Math.abs(v - 0.4) < 1e-6));
  ADJUST.brightness(flat, 3);
  assert.ok(flat.data.every((v) => v === 1), "brightness clamps at 1");
  const gray: FloatImage = { width: 2, height: 1, channels: 1, data: Float32Array.of(0.2, 0.6) };
  ADJUST.saturation(gray, 0);
  assert.deepEqual(Array.from(gray.data), [Math.fround(0.2), Math.fround(0.6)], "saturation skips gray");
  const color: FloatImage = { width: 1, height: 1, channels: 3, data: Float32Array.of(1, 0, 0) };
  ADJUST.saturation(color, 0);
  assert.ok(color.data.every((v) => Math.abs(v - 0.299) < 1e-6), "saturation 0 gives the luma gray");
  const a = colorJitter(noise(4, 4, 3), createRng(2), DEFAULTS.color_jitter);
  const b = colorJitter(noise(4, 4, 3), createRng(2), DEFAULTS.color_jitter);
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
});
