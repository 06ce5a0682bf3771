/** Writes a synthetic CSV: deno run --allow-write scripts/make_synthetic.ts OUT.csv ROWS [SEED] */
import { syntheticTabularCsv } from "../testing/synthetic_tabular.ts";

const [out, rows = "160000", seed = "1"] = Deno.args;
if (!out) {
  console.error("usage: make_synthetic.ts OUT.csv [ROWS] [SEED]");
  Deno.exit(2);
}
await Deno.writeTextFile(
  out,
  syntheticTabularCsv({
    rows: Number(rows),
    numeric: 40,
    categorical: 5,
    levels: 6,
    classes: 7,
    missing: 0.01,
    noise: 0.5,
    seed: Number(seed),
    taskSeed: 7,
  }),
);
