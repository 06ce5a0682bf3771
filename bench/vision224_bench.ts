/**
 * `deno task bench vision224`: image training at the size people train (224x224, batch 32) on ResNet-18,
 * ResNet-50 and EfficientNet-B0, mmml with its defaults (backend auto) against the PyTorch reference in
 * its four CPU configurations (1 and 2 threads, stock NCHW and --channels-last), side by side in one go.
 * Data: 160 Fashion-MNIST images (16 a class, Debian's dataset-fashion-mnist) resized to 224. Speed is
 * steady-state images/s: mmml's second of 2 epochs (metrics.json; the first builds every primitive), the
 * reference's 4 batches after its first of one epoch. Both sides run under a wrapper that reports the process's peak resident memory (getrusage).
 */
import { join } from "node:path";
import { type BenchCommon, runJson } from "./tabular_bench.ts";
import { ensureFolders } from "./vision_bench.ts";

const MODELS = ["resnet18", "resnet50", "efficientnet_b0"] as const;
const EPOCHS = 2;
const IMAGES = 160;

/**
 * Runs a command that prints a JSON line (through runJson) under a python wrapper that adds the child's
 * peak resident memory (getrusage) to that line; returns the line and the peak in MiB.
 */
async function measured(
  python: string,
  cmd: string,
  args: string[],
): Promise<{ json: Record<string, unknown>; peak_rss_mib: number }> {
  const wrapper = "import json,resource,subprocess,sys\n" +
    "r=subprocess.run(sys.argv[1:],stdout=subprocess.PIPE,text=True)\n" +
    "out=json.loads(r.stdout.strip().split('\\n')[-1]) if r.returncode==0 else {}\n" +
    "out['peak_rss_kib']=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n" +
    "print(json.dumps(out))\nsys.exit(r.returncode)";
  const json = await runJson(python, ["-c", wrapper, cmd, ...args]);
  return { json, peak_rss_mib: Math.round((json.peak_rss_kib as number) / 1024) };
}

async function runMmml(opts: BenchCommon, train: string, test: string, arch: string, registry: string) {
  const { json, peak_rss_mib } = await measured(opts.python, Deno.execPath(), [
    "run",
    "-A",
    "cli.ts",
    "train",
    "--data",
    train,
    "--test",
    test,
    "--model",
    arch,
    "--image-size",
    "224",
    "--epochs",
    String(EPOCHS),
    "--batch-size",
    "32",
    "--registry",
    registry,
    "--name",
    `v224_${arch}`,
    "--json",
    // The reference's work: no validation split, augmentation, early stopping or checkpoints.
    ...[
      "data.split.validation=0",
      "data.image.augment.enabled=false",
      "data.image.mean=[0.5,0.5,0.5]",
      "data.image.std=[0.5,0.5,0.5]",
      "training.early_stopping.enabled=false",
      "training.checkpoint.enabled=false",
      "training.progress=false",
    ].flatMap((kv) => ["--set", kv]),
  ]);
  const metrics = JSON.parse(await Deno.readTextFile(join(json.artifact as string, "metrics.json")));
  const history = metrics.history as { seconds: number; loss?: number }[];
  return {
    backend: json.backend,
    engine: json.engine,
    epoch_seconds: history.map((h) => +h.seconds.toFixed(2)),
    images_per_second: +(IMAGES / history.at(-1)!.seconds).toFixed(2),
    train_loss: history.map((h) => h.loss),
    peak_rss_mib,
  };
}

async function runReference(opts: BenchCommon, train: string, test: string, arch: string) {
  const runs: Record<string, unknown>[] = [];
  for (const threads of [1, 2]) {
    for (const channelsLast of [false, true]) {
      const { json, peak_rss_mib } = await measured(opts.python, opts.python, [
        join(opts.referenceDir, "train_vision.py"),
        train,
        test,
        "--arch",
        arch,
        "--img",
        "224",
        "--epochs",
        "1",
        "--batch",
        "32",
        "--no-eval",
        "--threads",
        String(threads),
        ...(channelsLast ? ["--channels-last"] : []),
      ]);
      runs.push({
        threads,
        channels_last: channelsLast,
        images_per_second: json.train_images_per_sec_excl_first_batch,
        peak_rss_mib,
      });
    }
  }
  return runs;
}

/** Runs the benchmark for `models` (default all three). */
export async function runVision224Bench(
  opts: BenchCommon & { models?: string[] },
): Promise<Record<string, unknown>> {
  const root = await ensureFolders(".bench/fashion160", 16, 4);
  const [train, test] = [join(root, "train"), join(root, "test")];
  const registry = await Deno.makeTempDir({ prefix: "mmml-v224-" });
  const results: Record<string, unknown>[] = [];
  try {
    for (const arch of opts.models ?? MODELS) {
      opts.log(`mmml ${arch} at 224 px, batch 32`);
      let mmml: Record<string, unknown>;
      try {
        mmml = await runMmml(opts, train, test, arch, registry);
      } catch (err) {
        mmml = { error: (err as Error).message.slice(-600) };
      }
      const row: Record<string, unknown> = { arch, mmml };
      if (opts.withReference) {
        opts.log(`reference ${arch}: 1 and 2 threads, stock and channels-last`);
        const reference = await runReference(opts, train, test, arch);
        const best = Math.max(...reference.map((r) => r.images_per_second as number));
        row.reference = reference;
        row.reference_best_images_per_second = best;
        if (typeof mmml.images_per_second === "number") {
          row.ratio_vs_best_reference = +(mmml.images_per_second / best).toFixed(2);
        }
      }
      results.push(row);
    }
  } finally {
    await Deno.remove(registry, { recursive: true }).catch(() => {});
  }
  return {
    benchmark: "vision224",
    data:
      `Fashion-MNIST, ${IMAGES} training images resized to 224x224, batch 32, ${EPOCHS} epochs (speed: the last)`,
    cores: navigator.hardwareConcurrency,
    models: results,
  };
}
