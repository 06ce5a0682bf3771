/**
 * A folder of class subfolders as a labeled list of image files: `root/<class>/**.{png,jpg,jpeg}`
 * (any case), or `root/{train,val,test}/<class>/...` when root holds only split folders. Classes are
 * sorted by code point, so the mapping is the same on every machine; it is saved with the model.
 *
 * Pixels are not decoded here (a large data set would take minutes): each file's first bytes are
 * checked for a PNG or JPEG header, and files that fail, or whose extension is not an image's, are
 * skipped with one warning that lists them (an error with `strict`). A file that passes this check
 * but fails to decode is reported by the loader when it first reads it.
 */
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { fingerprintBytes } from "./fingerprint.ts";
import { readImageHeader, sniffImageFormat } from "./image_decode.ts";
import { type SplitOptions, stratifiedSplit } from "./split.ts";

export type ImageSplitName = "train" | "val" | "test";

/** One image: its path (root joined with relPath), class index and byte size. */
export interface ImageFile {
  path: string;
  /** Path below root with "/" separators, e.g. "train/cat/001.png". */
  relPath: string;
  label: number;
  size: number;
  /** The split folder it came from (split layout only). */
  split?: ImageSplitName;
}

export interface SkippedFile {
  relPath: string;
  reason: string;
}

export interface ImageFolder {
  root: string;
  layout: "classes" | "splits";
  /** Class names, sorted; a label is an index into this list. */
  classes: string[];
  files: ImageFile[];
  skipped: SkippedFile[];
}

export interface ImageSplits {
  train: ImageFile[];
  val: ImageFile[];
  test: ImageFile[];
}

export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"] as const;

/** Folder names of the split layout (lower case); "valid" and "validation" also mean val. */
export const SPLIT_FOLDERS = {
  train: "train",
  val: "val",
  valid: "val",
  validation: "val",
  test: "test",
} as const satisfies Record<string, ImageSplitName>;

/** Enough bytes for the PNG IHDR and the JPEG start-of-image marker. */
const HEADER_BYTES = 64;
/** Files opened at once while checking headers. */
const SCAN_CONCURRENCY = 32;
/** Skipped files named in the warning's text; the log fields carry all of them. */
const SKIPPED_IN_MESSAGE = 20;

/** Lists and checks an image folder; see the module comment for layouts and skipping. */
export async function scanImageFolder(
  root: string,
  { strict = false, logger }: { strict?: boolean; logger: Logger },
): Promise<ImageFolder> {
  root = root.replace(/[\\/]+$/, "") || "/";
  const top = await listFolder(root);
  const dirs = top.filter((e) => e.isDirectory).map((e) => e.name);
  const splitDirs = dirs.filter((d) => d.toLowerCase() in SPLIT_FOLDERS);
  const isSplit = dirs.length > 0 && splitDirs.length === dirs.length &&
    splitDirs.some((d) => d.toLowerCase() === "train");

  const found: { relPath: string; className: string; split?: ImageSplitName }[] = [];
  const skipped: SkippedFile[] = [];
  const classCounts = new Map<string, number>();
  const collect = async (dir: string, split?: ImageSplitName) => {
    const prefix = dir === "" ? "" : `${dir}/`;
    const classDirs = (await listFolder(join(root, dir))).filter((e) => e.isDirectory).map((e) => e.name);
    for (const className of classDirs) {
      for (const relPath of await walkFiles(root, `${prefix}${className}`)) {
        if (IMAGE_EXTENSIONS.some((ext) => relPath.toLowerCase().endsWith(ext))) {
          found.push({ relPath, className, split });
        } else {
          skipped.push({ relPath, reason: `unsupported extension "${extensionOf(relPath)}"` });
        }
      }
      if (split === undefined || split === "train") classCounts.set(className, 0);
    }
  };
  if (isSplit) {
    for (const d of splitDirs) await collect(d, SPLIT_FOLDERS[d.toLowerCase() as keyof typeof SPLIT_FOLDERS]);
  } else {
    await collect("");
  }

  const sizes = await mapLimit(found, SCAN_CONCURRENCY, (f) => checkHeader(join(root, f.relPath)));
  const files: (ImageFile & { className: string })[] = [];
  found.forEach((f, i) => {
    const checked = sizes[i];
    if (typeof checked === "string") skipped.push({ relPath: f.relPath, reason: checked });
    else files.push({ ...f, path: join(root, f.relPath), label: -1, size: checked });
  });
  skipped.sort((a, b) => compare(a.relPath, b.relPath));
  reportSkipped(root, skipped, strict, logger);

  if (classCounts.size === 0) {
    const where = isSplit ? `${join(root, splitDirs.find((d) => d.toLowerCase() === "train")!)}` : root;
    const loose = top.filter((e) => e.isFile).map((e) => e.name);
    throw new MmmlError(
      "invalid_input",
      `Image folder "${where}" has no class subfolders; expected ${where}/<class>/<image>.png|jpg, ` +
        `received ${
          loose.length ? `${loose.length} loose file(s): ${loose.slice(0, 5).join(", ")}` : "no subfolders"
        }`,
    );
  }
  for (const f of files) {
    if (f.split === undefined || f.split === "train") {
      classCounts.set(f.className, classCounts.get(f.className)! + 1);
    }
  }
  const classes = [...classCounts.keys()].sort(compare);
  checkClasses(root, classes, classCounts, files, skipped, isSplit);
  const index = new Map(classes.map((c, i) => [c, i]));
  for (const f of files) f.label = index.get(f.className)!;
  files.sort((a, b) => compare(a.relPath, b.relPath));
  return {
    root,
    layout: isSplit ? "splits" : "classes",
    classes,
    files: files.map(({ className: _, ...f }) => f),
    skipped,
  };
}

function checkClasses(
  root: string,
  classes: string[],
  counts: Map<string, number>,
  files: (ImageFile & { className: string })[],
  skipped: SkippedFile[],
  isSplit: boolean,
): void {
  const base = isSplit ? `${root}/train` : root;
  for (const c of classes) {
    if (counts.get(c)! > 0) continue;
    const bad = skipped.filter((s) => s.relPath.startsWith(isSplit ? `train/${c}/` : `${c}/`)).length;
    throw new MmmlError(
      "invalid_input",
      `Class folder "${base}/${c}" holds no PNG or JPEG images, received ` +
        (bad ? `${bad} skipped file(s)` : "none") +
        (isSplit
          ? ""
          : `; for a train/val/test layout, "${root}" must hold only train, val and test folders`),
    );
  }
  if (classes.length < 2) {
    throw new MmmlError(
      "invalid_input",
      `Image folder "${base}" has a single class subfolder ("${classes[0]}"); a classifier needs at least 2`,
    );
  }
  const unknown = files.find((f) => f.split !== undefined && !counts.has(f.className));
  if (unknown) {
    throw new MmmlError(
      "invalid_input",
      `"${root}/${unknown.relPath}": class "${unknown.className}" has no folder under ${root}/train; ` +
        `expected one of ${classes.map((c) => `"${c}"`).join(", ")}`,
    );
  }
}

function reportSkipped(root: string, skipped: SkippedFile[], strict: boolean, logger: Logger): void {
  if (skipped.length === 0) return;
  const named = skipped.slice(0, SKIPPED_IN_MESSAGE).map((s) => `${s.relPath} (${s.reason})`).join(", ");
  const more = skipped.length > SKIPPED_IN_MESSAGE ? `, and ${skipped.length - SKIPPED_IN_MESSAGE} more` : "";
  if (strict) {
    throw new MmmlError(
      "invalid_input",
      `Image folder "${root}" has ${skipped.length} file(s) that are not PNG or JPEG images ` +
        `(strict mode): ${named}${more}`,
      { details: { skipped } },
    );
  }
  logger.warn(
    `Skipping ${skipped.length} file(s) under "${root}" that are not PNG or JPEG images: ${named}${more}`,
    {
      skipped: skipped.map((s) => s.relPath),
    },
  );
}

/** The file's size, or why it is not an image. */
async function checkHeader(path: string): Promise<number | string> {
  const file = await Deno.open(path, { read: true });
  try {
    const { size } = await file.stat();
    const head = new Uint8Array(Math.min(HEADER_BYTES, size));
    let got = 0;
    while (got < head.length) {
      const n = await file.read(head.subarray(got));
      if (n === null) break;
      got += n;
    }
    const bytes = head.subarray(0, got);
    const format = sniffImageFormat(bytes);
    if (format === null) {
      const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
      return size === 0 ? "empty file" : `not a PNG or JPEG: starts ${hex}`;
    }
    if (format === "png" && readImageHeader(bytes) === null) return "PNG header missing or cut off";
    return size;
  } finally {
    file.close();
  }
}

/**
 * Train/val/test files. The class layout is split by `stratifiedSplit` (seeded). The split layout
 * keeps its folders; a missing val or test folder is cut from train by its fraction (0 = none).
 */
export function splitImageFolder(folder: ImageFolder, options: SplitOptions): ImageSplits {
  if (folder.layout === "classes") return pick(folder.files, options);
  const by = (s: ImageSplitName) => folder.files.filter((f) => f.split === s);
  const train = by("train"), val = by("val"), test = by("test");
  const cut = pick(train, {
    ...options,
    validation: val.length ? 0 : options.validation,
    test: test.length ? 0 : options.test,
  });
  return { train: cut.train, val: val.length ? val : cut.val, test: test.length ? test : cut.test };
}

function pick(files: ImageFile[], options: SplitOptions): ImageSplits {
  if (options.validation === 0 && options.test === 0) return { train: files, val: [], test: [] };
  const split = stratifiedSplit(Int32Array.from(files, (f) => f.label), options);
  const take = (idx: Int32Array) => Array.from(idx, (i) => files[i]);
  return { train: take(split.train), val: take(split.val), test: take(split.test) };
}

/** SHA-256 over the sorted "relPath<TAB>size" lines of the folder's images (no mtimes: copies match). */
export async function imageFolderFingerprint(folder: ImageFolder): Promise<string> {
  const lines = folder.files.map((f) => `${f.relPath}\t${f.size}\n`).sort(compare);
  return await fingerprintBytes(new TextEncoder().encode(lines.join("")));
}

async function listFolder(path: string): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(path)) if (!e.name.startsWith(".")) entries.push(e);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `Cannot read image folder "${path}": folder not found`, {
        cause: err,
      });
    }
    if (err instanceof Deno.errors.NotADirectory) {
      throw new MmmlError(
        "invalid_input",
        `Cannot read image folder "${path}": expected a folder, received a file`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
  return entries.sort((a, b) => compare(a.name, b.name));
}

/** Relative paths of the files under root/dir, depth first, hidden entries left out. */
async function walkFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await listFolder(join(root, dir))) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await walkFiles(root, rel));
    else if (e.isFile || e.isSymlink) out.push(rel);
  }
  return out;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function join(root: string, rel: string): string {
  return rel === "" ? root : root === "/" ? `/${rel}` : `${root}/${rel}`;
}

function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot) : "(none)";
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
