/**
 * Image training on real Fashion-MNIST (Debian's dataset-fashion-mnist): 500 training images a class,
 * 100 test images a class, 28x28, ResNet-18 (ImageNet stem, as torchvision), 3 epochs, batch 32, Adam
 * 1e-3 (epsilon 1e-8), no head dropout, no augmentation, grayscale to 3 channels normalised with 0.5/0.5 — the reference's settings —
 * trained by mmml and by the PyTorch reference side by side. Images/s on the mmml side counts the wall
 * time of the training epochs including decoding, as the reference's DataLoader loop does.
 */
import { join } from "node:path";
import { type BenchCommon, runJson } from "./tabular_bench.ts";

const FASHION_DIR = "/usr/share/datasets/fashion-mnist";

async function ensureFolders(): Promise<string> {
  const out = ".bench/fashion";
  try {
    await Deno.stat(join(out, "test"));
    return out;
  } catch { /* build it */ }
  const res = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "scripts/fashion_mnist_to_folders.ts",
      out,
      "--train-per-class",
      "500",
      "--test-per-class",
      "100",
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!res.success) {
    throw new Error(`cannot build ${out} from ${FASHION_DIR} (apt-get install dataset-fashion-mnist)`);
  }
  return out;
}

/** Runs the vision benchmark. */
export async function runVisionBench(
  opts: BenchCommon & { epochs: number; arch: string; threads: number[] },
): Promise<Record<string, unknown>> {
  const root = await ensureFolders();
  const [train, test] = [join(root, "train"), join(root, "test")];
  const registry = await Deno.makeTempDir({ prefix: "mmml-vbench-" });
  const result: Record<string, unknown> = {
    benchmark: "vision",
    data: "Fashion-MNIST 5,000 train / 1,000 test, 28x28",
    arch: opts.arch,
    epochs: opts.epochs,
    batch_size: 32,
  };
  try {
    const mmml: Record<string, unknown>[] = [];
    for (const threads of opts.threads) {
      opts.log(`mmml ${opts.arch}, ${threads} thread(s)`);
      const res = await runJson(Deno.execPath(), [
        "run",
        "-A",
        "cli.ts",
        "train",
        "--data",
        train,
        "--test",
        test,
        "--model",
        opts.arch,
        "--image-size",
        "28",
        "--epochs",
        String(opts.epochs),
        "--batch-size",
        "32",
        "--threads",
        String(threads),
        "--registry",
        registry,
        "--name",
        `fashion_t${threads}`,
        "--json",
        "--set",
        "data.split.validation=0",
        "--set",
        "data.image.augment.enabled=false",
        "--set",
        "data.image.mean=[0.5,0.5,0.5]",
        "--set",
        "data.image.std=[0.5,0.5,0.5]",
        "--set",
        "training.early_stopping.enabled=false",
        "--set",
        "training.checkpoint.enabled=false",
        "--set",
        "training.progress=false",
        // torchvision's resnet18 has no dropout before fc, and torch's Adam epsilon is 1e-8.
        "--set",
        "model.dropout=0",
        "--set",
        "training.optimizer.epsilon=1e-8",
      ]);
      const metrics = JSON.parse(await Deno.readTextFile(join(res.artifact as string, "metrics.json")));
      const wall = (metrics.history as { seconds: number }[]).reduce((a, h) => a + h.seconds, 0);
      const images = 5000 * opts.epochs;
      mmml.push({
        threads,
        wall_images_per_second: images / wall,
        step_images_per_second: res.samples_per_second,
        test_accuracy: (res.metrics as { test: Record<string, number> }).test.accuracy,
        engine: res.engine,
        backend: res.backend,
      });
    }
    result.mmml = mmml;
    if (!opts.withReference) return { ...result, reference: "not run (--no-reference)" };
    opts.log(`reference ${opts.arch}`);
    const ref = await runJson(opts.python, [
      join(opts.referenceDir, "train_vision.py"),
      train,
      test,
      "--arch",
      opts.arch,
      "--img",
      "28",
      "--epochs",
      String(opts.epochs),
      "--batch",
      "32",
      "--threads",
      "2",
    ]);
    result.reference = {
      images_per_second: ref.train_images_per_sec,
      test_accuracy: ref.test_accuracy,
      threads: 2,
    };
    const bestMmml = mmml.reduce((a, b) =>
      (b.wall_images_per_second as number) > (a.wall_images_per_second as number) ? b : a
    );
    result.ratio_images_per_second_vs_reference = (bestMmml.wall_images_per_second as number) /
      (ref.train_images_per_sec as number);
    result.accuracy_difference_vs_reference = (bestMmml.test_accuracy as number) -
      (ref.test_accuracy as number);
    return result;
  } finally {
    await Deno.remove(registry, { recursive: true }).catch(() => {});
  }
}
