/**
 * Image training on real Fashion-MNIST (Debian's dataset-fashion-mnist): 500 training images a class,
 * 100 test images a class, 28x28, ResNet-18 (ImageNet stem, as torchvision), 3 epochs, batch 32, Adam
 * 1e-3 (epsilon 1e-8), no head dropout, no augmentation, grayscale to 3 channels normalised with 0.5/0.5, a
 * constant rate (the reference's settings; `--set training.lr_schedule.name=cosine` asks for mmml's default
 * image schedule instead), trained by mmml and by the PyTorch reference side by side, once per `--seeds` seed
 * on each side (accuracy over a few seeds, not one run, says which side is ahead). Images/s on the mmml side counts the wall
 * time of the training epochs including decoding, as the reference's DataLoader loop does.
 */
import { join } from "node:path";
import { type BenchCommon, runJson } from "./tabular_bench.ts";

const FASHION_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * Fashion-MNIST class folders (`out`/{train,test}, by default .bench/fashion with 500 training and 100 test
 * images a class), built from the Debian package when missing.
 */
export async function ensureFolders(
  out = ".bench/fashion",
  trainPerClass = 500,
  testPerClass = 100,
): Promise<string> {
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
      String(trainPerClass),
      "--test-per-class",
      String(testPerClass),
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!res.success) {
    throw new Error(`cannot build ${out} from ${FASHION_DIR} (apt-get install dataset-fashion-mnist)`);
  }
  return out;
}

/** One run of the reference's train_vision.py (2 threads, batch 32, 28x28); its JSON line. */
export function runReferenceVision(
  opts: BenchCommon,
  { train, test, arch, epochs, seed }: {
    train: string;
    test: string;
    arch: string;
    epochs: number;
    seed: number;
  },
): Promise<Record<string, unknown>> {
  return runJson(opts.python, [
    join(opts.referenceDir, "train_vision.py"),
    train,
    test,
    "--arch",
    arch,
    "--img",
    "28",
    "--epochs",
    String(epochs),
    "--batch",
    "32",
    "--threads",
    "2",
    "--seed",
    String(seed),
  ]);
}

/** Runs the vision benchmark. */
export async function runVisionBench(
  opts: BenchCommon & {
    epochs: number;
    arch: string;
    threads: number[];
    seeds: number[];
    /** Extra `--set key=value` for mmml, after the reference's settings (the reference runs unchanged). */
    overrides?: string[];
  },
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
    mmml_overrides: opts.overrides ?? [],
  };
  try {
    const mmml: Record<string, unknown>[] = [];
    const runs = opts.seeds.flatMap((seed) => opts.threads.map((threads) => ({ seed, threads })));
    for (const { seed, threads } of runs) {
      opts.log(`mmml ${opts.arch}, ${threads} thread(s), seed ${seed}`);
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
        `fashion_t${threads}_s${seed}`,
        "--seed",
        String(seed),
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
        // The reference's constant rate (mmml's image default anneals it); --set may override it.
        "--set",
        "training.lr_schedule.name=constant",
        ...(opts.overrides ?? []).flatMap((kv) => ["--set", kv]),
      ]);
      const metrics = JSON.parse(await Deno.readTextFile(join(res.artifact as string, "metrics.json")));
      const wall = (metrics.history as { seconds: number }[]).reduce((a, h) => a + h.seconds, 0);
      const images = 5000 * opts.epochs;
      mmml.push({
        seed,
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
    const reference: Record<string, number>[] = [];
    for (const seed of opts.seeds) {
      opts.log(`reference ${opts.arch}, seed ${seed}`);
      const ref = await runReferenceVision(opts, { train, test, arch: opts.arch, epochs: opts.epochs, seed });
      reference.push({
        seed,
        images_per_second: ref.train_images_per_sec as number,
        test_accuracy: ref.test_accuracy as number,
        threads: 2,
      });
    }
    result.reference = reference;
    // Speed: the best mmml thread count against the reference, per seed, then the mean ratio.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ratios = reference.map((ref) => {
      const ours = mmml.filter((m) => m.seed === ref.seed);
      const best = Math.max(...ours.map((m) => m.wall_images_per_second as number));
      return best / ref.images_per_second;
    });
    result.ratio_images_per_second_vs_reference = mean(ratios);
    const bestThreads = opts.threads.map((t) => ({
      t,
      speed: mean(mmml.filter((m) => m.threads === t).map((m) => m.wall_images_per_second as number)),
    })).reduce((a, b) => b.speed > a.speed ? b : a).t;
    const ourAccuracy = mmml.filter((m) => m.threads === bestThreads).map((m) => m.test_accuracy as number);
    result.mean_test_accuracy = {
      mmml: mean(ourAccuracy),
      reference: mean(reference.map((r) => r.test_accuracy)),
    };
    result.accuracy_difference_vs_reference = mean(ourAccuracy) - mean(reference.map((r) => r.test_accuracy));
    return result;
  } finally {
    await Deno.remove(registry, { recursive: true }).catch(() => {});
  }
}
