/**
 * `deno task bench [tabular|serve|vision|vision-paired|vision224|regression|embedding-cache]`: runs mmml and the PyTorch (+ FastAPI) reference side by side
 * on this machine, in one go, and prints one JSON object with both figures and their ratios. The machine
 * is shared and noisy, so each side runs `--repeat` times and the best run counts.
 */
import { parseArgs } from "node:util";
import { runTabularBench } from "./tabular_bench.ts";

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    rows: { type: "string", default: "160000" },
    epochs: { type: "string", default: "3" },
    repeat: { type: "string", default: "2" },
    reference: { type: "string", default: "../shared/reference" },
    python: { type: "string", default: "/usr/bin/python3" },
    "no-reference": { type: "boolean", default: false },
    arch: { type: "string", default: "resnet18" },
    threads: { type: "string", default: "1,2" },
    seeds: { type: "string", default: "0" },
    // Extra `--set key=value` for the mmml side of the vision and regression benches.
    set: { type: "string", multiple: true, default: [] },
  },
});
const which = positionals[0] ?? "tabular";
const common = {
  referenceDir: values.reference,
  python: values.python,
  withReference: !values["no-reference"],
  repeat: Number(values.repeat),
  log: (msg: string) => console.error(msg),
};
switch (which) {
  case "tabular":
    console.log(JSON.stringify(
      await runTabularBench({ ...common, rows: Number(values.rows), epochs: Number(values.epochs) }),
      null,
      2,
    ));
    break;
  case "regression": {
    const { runRegressionBench } = await import("./regression_bench.ts");
    console.log(JSON.stringify(
      await runRegressionBench({ ...common, seeds: values.seeds.split(",").map(Number), set: values.set }),
      null,
      2,
    ));
    break;
  }
  case "embedding-cache": {
    const { runEmbeddingCacheBench } = await import("./embedding_cache_bench.ts");
    const epochs = Number(values.epochs);
    console.log(JSON.stringify(await runEmbeddingCacheBench({ epochs, log: common.log }), null, 2));
    break;
  }
  case "vision224": {
    const { runVision224Bench } = await import("./vision224_bench.ts");
    const models = values.arch === "resnet18" && !Deno.args.includes("--arch")
      ? undefined
      : values.arch.split(",");
    console.log(JSON.stringify(await runVision224Bench({ ...common, models }), null, 2));
    break;
  }
  case "serve": {
    const { runServeBench } = await import("./serve_bench.ts");
    console.log(JSON.stringify(await runServeBench(common), null, 2));
    break;
  }
  case "vision": {
    const { runVisionBench } = await import("./vision_bench.ts");
    console.log(JSON.stringify(
      await runVisionBench({
        ...common,
        epochs: Number(values.epochs),
        arch: values.arch,
        threads: values.threads.split(",").map(Number),
        seeds: values.seeds.split(",").map(Number),
        overrides: values.set,
      }),
      null,
      2,
    ));
    break;
  }
  case "vision-paired": {
    const { runVisionPairedBench } = await import("./vision_paired_bench.ts");
    console.log(JSON.stringify(
      await runVisionPairedBench({
        ...common,
        epochs: Number(values.epochs),
        threads: Number(values.threads.split(",")[0]),
        seeds: values.seeds.split(",").map(Number),
      }),
      null,
      2,
    ));
    break;
  }
  default:
    console.error(`unknown benchmark "${which}"; expected tabular, serve, vision or vision-paired`);
    Deno.exit(2);
}
