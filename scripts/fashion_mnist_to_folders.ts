/**
 * Fashion-MNIST (Debian package dataset-fashion-mnist) as a train/test tree of 28x28 gray PNGs, for
 * benchmarks:
 *
 *   apt-get install -y dataset-fashion-mnist
 *   deno run -A scripts/fashion_mnist_to_folders.ts OUT_DIR [--train-per-class 500] [--test-per-class 100]
 *     [--seed 0] [--source /usr/share/datasets/fashion-mnist]
 *
 * Writes OUT_DIR/{train,test}/<k>_<name>/<index>.png, where <index> is the image's position in the
 * original idx file and the "<k>_" prefix keeps the sorted class order equal to the original labels
 * (0 = T-shirt/top ... 9 = Ankle boot), so results compare with a torchvision ImageFolder run on the
 * same tree. Each class's images are a seeded random choice from its original split.
 */
import pngJs from "imagescript/png/node.js";
import { createRng, permutation } from "../src/random.ts";

export const FASHION_MNIST_CLASSES = [
  "t-shirt_top",
  "trouser",
  "pullover",
  "dress",
  "coat",
  "sandal",
  "shirt",
  "sneaker",
  "bag",
  "ankle_boot",
] as const;

export const DEFAULT_SOURCE = "/usr/share/datasets/fashion-mnist";

const IDX_IMAGES = 0x00000803;
const IDX_LABELS = 0x00000801;

/** An idx-ubyte file (gzipped or not): magic, dimensions, then the bytes. */
export function parseIdx(bytes: Uint8Array, file: string): { dims: number[]; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== IDX_IMAGES && magic !== IDX_LABELS) {
    throw new Error(`${file}: expected idx magic 0x803 or 0x801, received 0x${magic.toString(16)}`);
  }
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const start = 4 + 4 * rank;
  const expected = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - start !== expected) {
    throw new Error(
      `${file}: expected ${expected} data bytes for ${dims.join("x")}, received ${bytes.length - start}`,
    );
  }
  return { dims, data: bytes.subarray(start) };
}

async function readIdx(path: string): Promise<{ dims: number[]; data: Uint8Array }> {
  let bytes = await Deno.readFile(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return parseIdx(bytes, path);
}

/** Indices of `perClass` images of each class, chosen by a seeded shuffle, ascending within a class. */
export function chooseIndices(labels: Uint8Array, perClass: number, seed: number): number[][] {
  const order = permutation(labels.length, createRng(seed));
  const chosen: number[][] = FASHION_MNIST_CLASSES.map(() => []);
  for (const i of order) {
    const bucket = chosen[labels[i]];
    if (bucket.length < perClass) bucket.push(i);
  }
  chosen.forEach((bucket, k) => {
    if (bucket.length < perClass) {
      throw new Error(`class ${k} has ${bucket.length} images, fewer than the ${perClass} requested`);
    }
    bucket.sort((a, b) => a - b);
  });
  return chosen;
}

async function writeSplit(
  out: string,
  split: "train" | "test",
  prefix: "train" | "t10k",
  source: string,
  perClass: number,
  seed: number,
): Promise<number> {
  const images = await readIdx(`${source}/${prefix}-images-idx3-ubyte.gz`);
  const labels = await readIdx(`${source}/${prefix}-labels-idx1-ubyte.gz`);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) throw new Error(`${prefix}: ${count} images but ${labels.dims[0]} labels`);
  const chosen = chooseIndices(labels.data, perClass, seed);
  let written = 0;
  for (const [k, indices] of chosen.entries()) {
    const dir = `${out}/${split}/${k}_${FASHION_MNIST_CLASSES[k]}`;
    await Deno.mkdir(dir, { recursive: true });
    for (const i of indices) {
      const pixels = images.data.subarray(i * rows * cols, (i + 1) * rows * cols);
      const png = pngJs.encode(pixels, { width: cols, height: rows, channels: 1, level: 6 }) as Uint8Array;
      await Deno.writeFile(`${dir}/${String(i).padStart(5, "0")}.png`, png);
      written++;
    }
  }
  return written;
}

function parseArgs(args: string[]) {
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith("--")) flags[args[i].slice(2)] = args[++i] ?? "";
    else positional.push(args[i]);
  }
  const int = (name: string, fallback: number) => {
    const v = flags[name] === undefined ? fallback : Number(flags[name]);
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`--${name}: expected a non-negative integer, received "${flags[name]}"`);
    }
    return v;
  };
  return {
    out: positional[0],
    train: int("train-per-class", 500),
    test: int("test-per-class", 100),
    seed: int("seed", 0),
    source: flags.source ?? DEFAULT_SOURCE,
  };
}

if (import.meta.main) {
  const { out, train, test, seed, source } = parseArgs(Deno.args);
  if (!out) {
    console.error(
      "usage: fashion_mnist_to_folders.ts OUT_DIR [--train-per-class 500] [--test-per-class 100] [--seed 0] [--source DIR]",
    );
    Deno.exit(2);
  }
  const t = performance.now();
  const nTrain = await writeSplit(out, "train", "train", source, train, seed);
  const nTest = await writeSplit(out, "test", "t10k", source, test, seed + 1);
  console.error(
    `wrote ${nTrain} train and ${nTest} test PNGs under ${out} in ${
      ((performance.now() - t) / 1000).toFixed(1)
    } s`,
  );
}
