/**
 * Regression against scikit-learn on real data: scikit-learn's diabetes set (442 rows) and R's
 * palmerpenguins (body mass from the other columns, 342 rows). For each seed, scripts/regression_baselines.py
 * splits the data 80/20 and scores RidgeCV, a random forest and MLPRegressor on the test rows; mmml trains
 * with its defaults on the same training rows (`mmml train --data train.csv --test test.csv --label y`)
 * and is scored on the same test rows. Prints R² and RMSE per seed and their means, and how far mmml's
 * mean R² is from the best baseline's.
 */
import { join } from "node:path";
import type { BenchCommon } from "./tabular_bench.ts";

export interface RegressionBenchOptions extends BenchCommon {
  seeds: number[];
  datasets?: string[];
  /** Extra `--set key=value` for mmml (to try other settings; the published figures use none). */
  set?: string[];
}

interface Scores {
  r2: number;
  rmse: number;
}

async function output(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return text.split("\n").at(-1)!;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Runs the comparison; every figure is measured in this run. */
export async function runRegressionBench(options: RegressionBenchOptions) {
  const { seeds, datasets = ["diabetes", "penguins"], python, log, set = [] } = options;
  const root = await Deno.makeTempDir({ prefix: "mmml_bench_regression_" });
  const results: Record<string, unknown> = {};
  try {
    for (const dataset of datasets) {
      const rows: { seed: number; mmml: Scores; baselines: Record<string, Scores> }[] = [];
      for (const seed of seeds) {
        const dir = join(root, `${dataset}_${seed}`);
        await Deno.mkdir(dir);
        const base = JSON.parse(
          await output(python, ["scripts/regression_baselines.py", dataset, String(seed), dir]),
        );
        const mmml = JSON.parse(
          await output(Deno.execPath(), [
            "run",
            "-A",
            "cli.ts",
            "train",
            "--data",
            join(dir, "train.csv"),
            "--test",
            join(dir, "test.csv"),
            "--label",
            "y",
            "--registry",
            join(root, "models"),
            "--name",
            `${dataset}_${seed}`,
            "--set",
            "training.progress=false",
            ...set.flatMap((s) => ["--set", s]),
            "--json",
          ]),
        );
        const test = mmml.metrics.test;
        rows.push({ seed, mmml: { r2: test.r2, rmse: test.rmse }, baselines: base.baselines });
        log(
          `${dataset} seed ${seed}: mmml R² ${test.r2.toFixed(3)}; ` +
            Object.entries(base.baselines as Record<string, Scores>).map(([k, v]) =>
              `${k} ${v.r2.toFixed(3)}`
            ).join(", "),
        );
      }
      const names = Object.keys(rows[0].baselines);
      const means = Object.fromEntries(names.map((n) => [n, {
        r2: mean(rows.map((r) => r.baselines[n].r2)),
        rmse: mean(rows.map((r) => r.baselines[n].rmse)),
      }]));
      const mmmlMean = { r2: mean(rows.map((r) => r.mmml.r2)), rmse: mean(rows.map((r) => r.mmml.rmse)) };
      const best = names.reduce((a, b) => (means[b].r2 > means[a].r2 ? b : a));
      results[dataset] = {
        seeds: rows,
        mean: { mmml: mmmlMean, ...means },
        best_baseline: best,
        r2_gap_to_best: mmmlMean.r2 - means[best].r2,
        // Per split, mmml's R² less the best baseline's on that split; the lowest is the worst case.
        worst_split_gap: Math.min(
          ...rows.map((r) => r.mmml.r2 - Math.max(...Object.values(r.baselines).map((b) => b.r2))),
        ),
      };
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  const defaults = set.length
    ? `mmml train with --set ${set.join(" --set ")}`
    : "mmml train with its defaults";
  return { benchmark: "regression", defaults, results };
}
