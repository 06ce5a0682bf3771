/**
 * `deno task bench vision-paired --seeds 0,1,...`: accuracy on equal draws. Which side of a vision run
 * ends ahead depends mostly on the random draws (initial weights, batch order): on the reference's seed-3
 * draws both sides reach 0.831, on mmml's seed-3 draws both land near 0.76. So per seed this runs the
 * unchanged PyTorch reference (train_vision.py --seed S), has scripts/torch_draws.py write that run's
 * initial weights and batch order (it checks itself against the reference bit for bit with --check), and
 * trains mmml on them (bench/vision_paired.ts). The per-seed differences then measure the implementations,
 * not the luck of the draw. Settings as `deno task bench vision` (ResNet-18, 28x28, 3 epochs, batch 32).
 * Images/s is not compared here: mmml's side decodes every epoch afresh for the given order.
 */
import { join } from "node:path";
import type { BenchCommon } from "./tabular_bench.ts";
import { runJson } from "./tabular_bench.ts";
import { ensureFolders, runReferenceVision } from "./vision_bench.ts";

/** Runs the paired accuracy comparison. */
export async function runVisionPairedBench(
  opts: BenchCommon & { epochs: number; seeds: number[]; threads: number },
): Promise<Record<string, unknown>> {
  const root = await ensureFolders();
  const [train, test] = [join(root, "train"), join(root, "test")];
  const work = await Deno.makeTempDir({ prefix: "mmml-vpaired-" });
  const runs: {
    seed: number;
    mmml: number;
    reference: number;
    mmml_loss: number[];
    reference_loss: number[];
  }[] = [];
  try {
    for (const seed of opts.seeds) {
      const draws = join(work, `draws_${seed}`);
      opts.log(`seed ${seed}: the reference's draws`);
      const write = await new Deno.Command(opts.python, {
        args: [
          "scripts/torch_draws.py",
          String(seed),
          train,
          draws,
          "--epochs",
          String(opts.epochs),
          "--reference",
          opts.referenceDir,
        ],
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (!write.success) throw new Error(`scripts/torch_draws.py ${seed} failed`);
      opts.log(`seed ${seed}: reference`);
      const ref = await runReferenceVision(opts, {
        train,
        test,
        arch: "resnet18",
        epochs: opts.epochs,
        seed,
      });
      opts.log(`seed ${seed}: mmml on the same draws`);
      const ours = await runJson(Deno.execPath(), [
        "run",
        "-A",
        "bench/vision_paired.ts",
        train,
        test,
        draws,
        String(seed),
        String(opts.threads),
        join(work, "registry"),
      ]);
      runs.push({
        seed,
        mmml: ours.test_accuracy as number,
        reference: ref.test_accuracy as number,
        mmml_loss: ours.epoch_train_loss as number[],
        reference_loss: ref.epoch_train_loss as number[],
      });
      opts.log(`seed ${seed}: mmml ${ours.test_accuracy}, reference ${ref.test_accuracy}`);
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const diffs = runs.map((r) => r.mmml - r.reference);
  const d = mean(diffs);
  const sd = Math.sqrt(diffs.reduce((a, x) => a + (x - d) ** 2, 0) / Math.max(1, diffs.length - 1));
  return {
    benchmark: "vision-paired",
    data: "Fashion-MNIST 5,000 train / 1,000 test, 28x28",
    arch: "resnet18",
    epochs: opts.epochs,
    batch_size: 32,
    runs,
    mean_test_accuracy: {
      mmml: mean(runs.map((r) => r.mmml)),
      reference: mean(runs.map((r) => r.reference)),
    },
    mean_difference: d,
    standard_error: sd / Math.sqrt(diffs.length),
    mmml_at_or_above: runs.filter((r) => r.mmml >= r.reference).length,
  };
}
