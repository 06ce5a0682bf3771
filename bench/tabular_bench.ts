/**
 * Tabular training throughput: the 160,000-row synthetic CSV (40 numeric + 5 categorical columns,
 * 7 classes), MLP 128-64, dropout 0.1, Adam 1e-3, batch 64, N epochs, trained by mmml (subprocess,
 * `mmml train --json`) and by the PyTorch reference (tensor loader with 1 and 2 threads, DataLoader).
 * samples/s counts training rows x epochs over the training loop only, on both sides.
 */
import { join } from "node:path";
import { syntheticTabularCsv } from "../testing/synthetic_tabular.ts";

export interface BenchCommon {
  referenceDir: string;
  python: string;
  withReference: boolean;
  repeat: number;
  log: (msg: string) => void;
}

const SYNTH = { numeric: 40, categorical: 5, levels: 6, classes: 7, missing: 0.01, noise: 0.5, taskSeed: 7 };

/** Writes the train/test CSVs once under .bench/ and returns their paths. */
async function ensureData(rows: number): Promise<{ train: string; test: string }> {
  const dir = ".bench";
  await Deno.mkdir(dir, { recursive: true });
  const train = join(dir, `synth_t7_${rows}_train.csv`);
  const test = join(dir, `synth_t7_${rows}_test.csv`);
  for (const [path, n, seed] of [[train, rows, 1], [test, Math.round(rows / 8), 2]] as const) {
    try {
      await Deno.stat(path);
    } catch {
      await Deno.writeTextFile(path + ".tmp", syntheticTabularCsv({ rows: n, seed, ...SYNTH }));
      await Deno.rename(path + ".tmp", path);
    }
  }
  return { train, test };
}

/** Runs a command and returns its last stdout line parsed as JSON. */
export async function runJson(cmd: string, args: string[]): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  return JSON.parse(text.split("\n").at(-1)!);
}

function best<T extends Record<string, unknown>>(runs: T[], key: string): T {
  return runs.reduce((a, b) => ((b[key] as number) > (a[key] as number) ? b : a));
}

/** Runs the tabular benchmark; returns figures for both sides and mmml/reference ratios. */
export async function runTabularBench(
  opts: BenchCommon & { rows: number; epochs: number },
): Promise<Record<string, unknown>> {
  const { train, test } = await ensureData(opts.rows);
  const registry = await Deno.makeTempDir({ prefix: "mmml-bench-" });
  const mmmlRuns: Record<string, unknown>[] = [];
  const refRuns: Record<string, Record<string, unknown>[]> = { tensor_1: [], tensor_2: [], dataloader_2: [] };
  const script = join(opts.referenceDir, "train_tabular.py");
  const haveRef = opts.withReference && (await exists(script)) && (await exists(opts.python));
  try {
    for (let r = 0; r < opts.repeat; r++) {
      // Alternate sides each round so machine noise hits both alike.
      opts.log(`round ${r + 1}/${opts.repeat}: mmml`);
      const res = await runJson(Deno.execPath(), [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-ffi",
        "--allow-sys",
        "cli.ts",
        "train",
        "--data",
        train,
        "--test",
        test,
        "--label",
        "label",
        "--epochs",
        String(opts.epochs),
        "--batch-size",
        "64",
        "--registry",
        registry,
        "--name",
        "bench",
        "--json",
        "--set",
        "data.split.validation=0",
        "--set",
        "training.early_stopping.enabled=false",
        "--set",
        "training.checkpoint.enabled=false",
        "--set",
        "training.progress=false",
      ]);
      mmmlRuns.push({
        samples_per_second: res.samples_per_second,
        train_seconds: res.train_seconds,
        seconds_per_epoch: (res.train_seconds as number) / opts.epochs,
        test_accuracy: (res.metrics as { test: Record<string, number> }).test.accuracy,
        engine: res.engine,
        backend: res.backend,
      });
      if (!haveRef) continue;
      for (
        const [key, loader, threads] of [["tensor_1", "tensor", 1], ["tensor_2", "tensor", 2], [
          "dataloader_2",
          "dataloader",
          2,
        ]] as const
      ) {
        opts.log(`round ${r + 1}/${opts.repeat}: reference ${key}`);
        const ref = await runJson(opts.python, [
          script,
          train,
          test,
          "label",
          "--epochs",
          String(opts.epochs),
          "--loader",
          loader,
          "--threads",
          String(threads),
        ]);
        refRuns[key].push({
          samples_per_second: ref.samples_per_sec,
          train_seconds: ref.train_seconds,
          seconds_per_epoch: (ref.train_seconds as number) / opts.epochs,
          test_accuracy: ref.test_accuracy,
        });
      }
    }
  } finally {
    await Deno.remove(registry, { recursive: true }).catch(() => {});
  }
  const mmml = best(mmmlRuns, "samples_per_second");
  const result: Record<string, unknown> = {
    benchmark: "tabular",
    rows: opts.rows,
    epochs: opts.epochs,
    batch_size: 64,
    model: "mlp 128-64 relu dropout 0.1, adam 1e-3",
    mmml: { ...mmml, runs: mmmlRuns.map((r) => r.samples_per_second) },
  };
  if (haveRef) {
    const reference: Record<string, Record<string, unknown>> = {};
    for (const [k, runs] of Object.entries(refRuns)) {
      reference[k] = { ...best(runs, "samples_per_second"), runs: runs.map((r) => r.samples_per_second) };
    }
    const refBest = best(Object.values(reference), "samples_per_second");
    result.reference = reference;
    result.ratio_samples_per_second_vs_reference_best = (mmml.samples_per_second as number) /
      (refBest.samples_per_second as number);
    result.accuracy_difference_vs_reference_best = (mmml.test_accuracy as number) -
      (refBest.test_accuracy as number);
  } else {
    result.reference = `not run (${
      opts.withReference ? `${script} or ${opts.python} missing` : "--no-reference"
    })`;
  }
  return result;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
