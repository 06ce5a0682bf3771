import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { createMemoryLogger } from "../log.ts";
import { createRng } from "../random.ts";
import { drawPattern, encodeImage } from "../../testing/image_fixtures.ts";
import { imageFolderFingerprint, scanImageFolder, splitImageFolder } from "./image_folder_adapter.ts";

const FIXTURES = new URL("../../fixtures/images/", import.meta.url).pathname;
const tinyPng = await encodeImage(drawPattern("circle", 4, 4, createRng(1)), "png_gray");

/** A temporary tree of files: relative path -> bytes (a string is written as text). */
async function makeTree(files: Record<string, Uint8Array | string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "mmml_images_" });
  for (const [rel, body] of Object.entries(files)) {
    const path = `${root}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof body === "string") await Deno.writeTextFile(path, body);
    else await Deno.writeFile(path, body);
  }
  return root;
}

async function withTree(files: Record<string, Uint8Array | string>, fn: (root: string) => Promise<unknown>) {
  const root = await makeTree(files);
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function assertScanError(
  root: string,
  code: string,
  fragments: string[],
  strict = false,
): Promise<void> {
  await assert.rejects(() => scanImageFolder(root, { strict, logger: createMemoryLogger() }), (err) => {
    assert.ok(err instanceof MmmlError, `expected an MmmlError, got ${err}`);
    assert.equal(err.code, code);
    for (const f of fragments) assert.ok(err.message.includes(f), `"${err.message}" lacks "${f}"`);
    return true;
  });
}

Deno.test("scanImageFolder maps sorted class folders to labels and accepts any extension case", async () => {
  const logger = createMemoryLogger();
  const folder = await scanImageFolder(`${FIXTURES}flat/`, { logger });
  assert.equal(folder.layout, "classes");
  assert.deepEqual(folder.classes, ["circle", "square", "stripes"]);
  assert.equal(folder.files.length, 13);
  const labelOf = (rel: string) => folder.files.find((f) => f.relPath === rel)?.label;
  assert.equal(labelOf("circle/03_png_palette.png"), 0);
  assert.equal(labelOf("square/01_jpeg_gray.JPEG"), 1);
  assert.equal(labelOf("stripes/02_jpeg_rgb.jpg"), 2);
  assert.ok(folder.files.every((f) => f.path === `${folder.root}/${f.relPath}` && f.size > 0));
});

Deno.test("scanImageFolder skips a corrupt file and a .txt with one warning naming both", async () => {
  const logger = createMemoryLogger();
  const folder = await scanImageFolder(`${FIXTURES}flat`, { logger });
  assert.deepEqual(folder.skipped.map((s) => s.relPath), ["circle/broken.png", "stripes/notes.txt"]);
  const warnings = logger.lines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn");
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].msg, /circle\/broken\.png \(not a PNG or JPEG: starts 74 68 69 73\)/);
  assert.match(warnings[0].msg, /stripes\/notes\.txt \(unsupported extension "\.txt"\)/);
  assert.ok(!folder.files.some((f) => f.relPath.endsWith("broken.png") || f.relPath.endsWith(".txt")));
});

Deno.test("scanImageFolder in strict mode refuses the folder, naming the bad files", async () => {
  await assertScanError(`${FIXTURES}flat`, "invalid_input", [
    "strict",
    "circle/broken.png",
    "stripes/notes.txt",
  ], true);
});

Deno.test("scanImageFolder detects the train/val/test layout and keeps its splits", async () => {
  const folder = await scanImageFolder(`${FIXTURES}split`, { logger: createMemoryLogger() });
  assert.equal(folder.layout, "splits");
  assert.deepEqual(folder.classes, ["circle", "square"]);
  const splits = splitImageFolder(folder, { validation: 0.5, test: 0.5, seed: 1 });
  assert.deepEqual(splits.train.map((f) => f.relPath), [
    "train/circle/0.png",
    "train/circle/1.png",
    "train/circle/2.png",
    "train/square/0.png",
    "train/square/1.png",
    "train/square/2.png",
  ]);
  assert.deepEqual(splits.val.map((f) => `${f.relPath}:${f.label}`), [
    "val/circle/0.png:0",
    "val/square/0.png:1",
  ]);
  assert.deepEqual(splits.test.map((f) => f.relPath), ["test/circle/0.png", "test/square/0.png"]);
});

Deno.test("splitImageFolder cuts a missing val folder from train, stratified", async () => {
  const files: Record<string, Uint8Array> = {};
  for (const c of ["a", "b"]) for (let i = 0; i < 6; i++) files[`train/${c}/${i}.png`] = tinyPng;
  files["Test/a/x.png"] = tinyPng;
  await withTree(files, async (root) => {
    const folder = await scanImageFolder(root, { logger: createMemoryLogger() });
    assert.equal(folder.layout, "splits");
    const s = splitImageFolder(folder, { validation: 0.34, test: 0.2, seed: 3 });
    assert.deepEqual(s.test.map((f) => f.relPath), ["Test/a/x.png"]);
    assert.equal(s.val.length, 4);
    assert.deepEqual(s.val.map((f) => f.label).sort(), [0, 0, 1, 1]);
    assert.equal(s.train.length, 8);
  });
});

Deno.test("splitImageFolder is deterministic for a seed and stratified by class", async () => {
  const files: Record<string, Uint8Array> = {};
  for (const [c, n] of [["cat", 20], ["dog", 10]] as const) {
    for (let i = 0; i < n; i++) files[`${c}/${String(i).padStart(2, "0")}.png`] = tinyPng;
  }
  await withTree(files, async (root) => {
    const folder = await scanImageFolder(root, { logger: createMemoryLogger() });
    const a = splitImageFolder(folder, { validation: 0.2, test: 0.2, seed: 7 });
    const b = splitImageFolder(folder, { validation: 0.2, test: 0.2, seed: 7 });
    const c = splitImageFolder(folder, { validation: 0.2, test: 0.2, seed: 8 });
    const names = (s: typeof a) => [s.train, s.val, s.test].map((part) => part.map((f) => f.relPath));
    assert.deepEqual(names(a), names(b));
    assert.notDeepEqual(names(a), names(c));
    for (const part of [a.val, a.test]) assert.deepEqual(part.map((f) => f.label).sort(), [0, 0, 0, 0, 1, 1]);
    const all = [...a.train, ...a.val, ...a.test].map((f) => f.relPath).sort();
    assert.deepEqual(all, folder.files.map((f) => f.relPath));
  });
});

Deno.test("scanImageFolder names what it found when the folder is unusable", async (t) => {
  await t.step(
    "missing folder",
    () => assertScanError("/nonexistent/images", "file_not_found", ["/nonexistent/images"]),
  );
  await withTree({ "a.png": tinyPng, "b.png": tinyPng }, async (root) => {
    await t.step(
      "no class subfolders",
      () => assertScanError(root, "invalid_input", ["no class subfolders", "2 loose file(s): a.png, b.png"]),
    );
    await t.step(
      "a file instead of a folder",
      () => assertScanError(`${root}/a.png`, "invalid_input", ["expected a folder, received a file"]),
    );
  });
  await withTree(
    { "cat/1.png": tinyPng, "dog/notes.txt": "x" },
    (root) =>
      t.step("a class without images", () =>
        assertScanError(root, "invalid_input", [
          `"${root}/dog" holds no PNG or JPEG images, received 1 skipped`,
        ])),
  );
  await withTree(
    { "cat/1.png": tinyPng, "cat/2.png": tinyPng },
    (root) =>
      t.step(
        "a single class",
        () => assertScanError(root, "invalid_input", ['single class subfolder ("cat")']),
      ),
  );
  await withTree(
    { "train/cat/1.png": tinyPng, "train/dog/1.png": tinyPng, "val/cow/1.png": tinyPng },
    (root) =>
      t.step(
        "a val class unknown to train",
        () => assertScanError(root, "invalid_input", ["val/cow/1.png", 'class "cow"', '"cat", "dog"']),
      ),
  );
});

Deno.test("scanImageFolder ignores hidden files and walks nested folders inside a class", async () => {
  const tree = {
    "a/.DS_Store": "x",
    "a/deep/er/1.png": tinyPng,
    "b/2.png": tinyPng,
    ".cache/3.png": tinyPng,
  };
  await withTree(tree, async (root) => {
    const logger = createMemoryLogger();
    const folder = await scanImageFolder(root, { logger });
    assert.deepEqual(folder.files.map((f) => `${f.relPath}:${f.label}`), ["a/deep/er/1.png:0", "b/2.png:1"]);
    assert.deepEqual(logger.lines, []);
  });
});

Deno.test("imageFolderFingerprint depends on names and sizes, not on where the folder is", async () => {
  const tree = { "a/1.png": tinyPng, "b/2.png": tinyPng };
  const print = async (files: Record<string, Uint8Array>) => {
    let out = "";
    await withTree(files, async (root) => {
      out = await imageFolderFingerprint(await scanImageFolder(root, { logger: createMemoryLogger() }));
    });
    return out;
  };
  const first = await print(tree);
  assert.match(first, /^[0-9a-f]{64}$/);
  assert.equal(await print(tree), first);
  assert.notEqual(await print({ ...tree, "b/3.png": tinyPng }), first);
  const bigger = new Uint8Array(tinyPng.length + 1);
  bigger.set(tinyPng);
  assert.notEqual(await print({ ...tree, "b/2.png": bigger }), first);
});
