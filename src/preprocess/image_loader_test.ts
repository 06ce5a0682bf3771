import assert from "node:assert/strict";
import { ImageDataConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import { createMemoryLogger } from "../log.ts";
import { preprocessImage } from "./image_preprocessor.ts";
import type { Batch } from "../data/data_source.ts";
import { decodeImage } from "../data/image_decode.ts";
import { scanImageFolder } from "../data/image_folder_adapter.ts";
import { createImageSource, type ImageSourceOptions, loadImageTensorFromFile } from "./image_loader.ts";

const FLAT = new URL("../../fixtures/images/flat", import.meta.url).pathname;
const folder = await scanImageFolder(FLAT, { logger: createMemoryLogger() });
const good = folder.files.filter((f) => !f.relPath.endsWith("truncated.jpg"));
const truncated = folder.files.find((f) => f.relPath.endsWith("truncated.jpg"))!;
const config = ImageDataConfig.parse({});

function options(overrides: Partial<ImageSourceOptions> = {}): ImageSourceOptions {
  return {
    size: 8,
    channels: 3,
    mean: config.mean,
    std: config.std,
    augment: config.augment,
    numClasses: 3,
    logger: createMemoryLogger(),
    ...overrides,
  };
}

async function collect(batches: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

/** Rows of a batch list, keyed by their x values, to compare epochs regardless of order. */
const rows = (batches: Batch[], width: number) =>
  batches.flatMap((b) =>
    Array.from({ length: b.size }, (_, i) => Array.from(b.x.subarray(i * width, (i + 1) * width)))
  );

Deno.test("ImageSource yields every image once per epoch, preprocessed, with its label", async () => {
  const source = createImageSource(good, options());
  assert.deepEqual(source.inputShape, [8, 8, 3]);
  assert.equal(source.size, 12);
  assert.deepEqual(Array.from(source.labels()), good.map((f) => f.label));
  const batches = await collect(source.batches({ batchSize: 5, shuffle: false, seed: 1 }));
  assert.deepEqual(batches.map((b) => b.size), [5, 5, 2]);
  assert.deepEqual(batches.flatMap((b) => Array.from(b.y)), good.map((f) => f.label));
  const width = 8 * 8 * 3;
  const got = rows(batches, width);
  for (const [i, f] of good.entries()) {
    const want = preprocessImage(await decodeImage(await Deno.readFile(f.path)), options());
    assert.deepEqual(got[i], Array.from(want), f.relPath);
  }
});

Deno.test("ImageSource decodes each file once: the second epoch is all cache hits", async () => {
  const source = createImageSource(good, options());
  const first = await collect(source.batches({ batchSize: 4, shuffle: true, seed: 1 }));
  const s = source.stats();
  assert.deepEqual([s.hits, s.misses, s.evictions, s.cachedImages], [0, 12, 0, 12]);
  let bytes = 0;
  for (const f of good) bytes += (await decodeImage(await Deno.readFile(f.path))).data.byteLength;
  assert.equal(s.cachedBytes, bytes);
  const second = await collect(source.batches({ batchSize: 4, shuffle: true, seed: 2 }));
  assert.equal(source.stats().hits, 12);
  assert.equal(source.stats().misses, 12);
  const sorted = (b: Batch[]) => rows(b, 192).map((r) => r.join(",")).sort();
  assert.deepEqual(sorted(second), sorted(first), "same rows, another order");
  assert.notDeepEqual(second.map((b) => Array.from(b.y)), first.map((b) => Array.from(b.y)));
});

Deno.test("ImageSource evicts least recently used images past its byte budget, and still streams", async () => {
  const bytesPer = 16 * 16 * 3;
  const rgb16 = good.filter((f) => ["circle/01_png_rgb.png", "circle/02_jpeg_rgb.jpg"].includes(f.relPath));
  assert.equal(rgb16.length, 2);
  const source = createImageSource(
    [...rgb16, ...rgb16],
    options({ cacheMb: (bytesPer * 1.5) / (1024 * 1024) }),
  );
  const batches = await collect(source.batches({ batchSize: 1, shuffle: false, seed: 0 }));
  assert.equal(batches.length, 4);
  const s = source.stats();
  assert.ok(s.cachedBytes <= bytesPer * 1.5 && s.cachedImages === 1, JSON.stringify(s));
  assert.ok(s.evictions >= 2, `evictions ${s.evictions}`);
  const none = createImageSource(good, options({ cacheMb: 0 }));
  await collect(none.batches({ batchSize: 4, shuffle: false, seed: 0 }));
  await collect(none.batches({ batchSize: 4, shuffle: false, seed: 0 }));
  assert.deepEqual([none.stats().hits, none.stats().misses, none.stats().cachedImages], [0, 24, 0]);
});

Deno.test("ImageSource shuffles by seed and gives the same batches with or without prefetch", async () => {
  const epoch = async (seed: number, prefetch: number) =>
    (await collect(
      createImageSource(good, options({ prefetch })).batches({ batchSize: 3, shuffle: true, seed }),
    ))
      .map((b) => [Array.from(b.y), Array.from(b.x)]);
  const a = await epoch(4, 2);
  assert.deepEqual(await epoch(4, 0), a);
  assert.deepEqual(await epoch(4, 5), a);
  assert.notDeepEqual(await epoch(5, 2), a);
});

Deno.test("ImageSource augments only when asked, deterministically for a seed", async () => {
  const source = createImageSource(good, options());
  const run = async (augment: boolean, seed: number) =>
    (await collect(source.batches({ batchSize: 12, shuffle: false, seed, augment })))[0].x;
  const plain = await run(false, 1);
  assert.deepEqual(await run(false, 2), plain, "no augmentation: seed only shuffles");
  const a = await run(true, 1);
  assert.deepEqual(await run(true, 1), a);
  assert.notDeepEqual(await run(true, 2), a);
  assert.notDeepEqual(a, plain);
  const off = createImageSource(good, options({ augment: { ...config.augment, enabled: false } }));
  const offBatch =
    (await collect(off.batches({ batchSize: 12, shuffle: false, seed: 1, augment: true })))[0].x;
  assert.deepEqual(offBatch, plain, "augment.enabled false turns it off");
});

Deno.test("ImageSource leaves out a file that fails to decode with one warning; strict stops", async () => {
  const logger = createMemoryLogger();
  const files = [...good.slice(0, 3), truncated];
  const source = createImageSource(files, options({ logger }));
  for (let epoch = 0; epoch < 2; epoch++) {
    const batches = await collect(source.batches({ batchSize: 2, shuffle: false, seed: 0 }));
    assert.deepEqual(batches.map((b) => b.size), [2, 1]);
  }
  assert.deepEqual(source.stats().failed, [truncated.path]);
  const warnings = logger.lines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn");
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0].msg.includes(truncated.path), warnings[0].msg);

  const strict = createImageSource(files, options({ strict: true }));
  await assert.rejects(
    () => collect(strict.batches({ batchSize: 2, shuffle: false, seed: 0 })),
    (err) =>
      err instanceof MmmlError && err.code === "invalid_input" && err.message.includes("truncated.jpg"),
  );
});

Deno.test("loadImageTensorFromFile preprocesses one file as training does", async () => {
  const f = good[0];
  const opts = { size: 6, channels: 1 as const, mean: [0.5], std: [0.25] };
  const got = await loadImageTensorFromFile(f.path, opts);
  assert.equal(got.length, 36);
  assert.deepEqual(got, preprocessImage(await decodeImage(await Deno.readFile(f.path)), opts));
  await assert.rejects(
    () => loadImageTensorFromFile(`${FLAT}/nope.png`, opts),
    (err) => err instanceof MmmlError && err.code === "file_not_found" && err.message.includes("nope.png"),
  );
});

Deno.test("ImageSource with decode workers gives the same batches and fills the cache", async () => {
  const epoch = async (source: ReturnType<typeof createImageSource>, seed: number, augment: boolean) =>
    (await collect(source.batches({ batchSize: 5, shuffle: true, seed, augment })))
      .map((b) => [Array.from(b.y), Array.from(b.x)]);
  const here = createImageSource(good, options());
  const pooled = createImageSource(good, options({ workers: 2 }));
  assert.deepEqual(await epoch(pooled, 3, true), await epoch(here, 3, true));
  assert.deepEqual(await epoch(pooled, 4, false), await epoch(here, 4, false));
  const s = pooled.stats();
  assert.deepEqual([s.misses, s.hits, s.cachedImages], [12, 12, 12]);
  assert.ok(s.workerMs > 0 && s.decodeMs === 0, JSON.stringify(s));
});

Deno.test("ImageSource workers skip an undecodable file, stop when strict, and end with an early break", async () => {
  const files = [...good.slice(0, 3), truncated];
  const logger = createMemoryLogger();
  const source = createImageSource(files, options({ workers: 1, logger }));
  const sizes = (await collect(source.batches({ batchSize: 2, shuffle: false, seed: 0 }))).map((b) => b.size);
  assert.deepEqual(sizes, [2, 1]);
  assert.deepEqual(source.stats().failed, [truncated.path]);
  assert.equal(logger.lines.length, 1);
  const strict = createImageSource(files, options({ workers: 1, strict: true }));
  await assert.rejects(
    () => collect(strict.batches({ batchSize: 2, shuffle: false, seed: 0 })),
    (err) =>
      err instanceof MmmlError && err.code === "invalid_input" && err.message.includes("truncated.jpg"),
  );
  for await (
    const _ of createImageSource(good, options({ workers: 1 })).batches({
      batchSize: 2,
      shuffle: false,
      seed: 0,
    })
  ) {
    break; // the generator's finally must terminate the worker, or the test leaks it
  }
});
