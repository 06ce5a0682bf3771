/**
 * `mmml predict --model NAME[@VERSION] --input FILE [--output FILE]`: one prediction per input row, in
 * file order, as JSON lines `{"row", "label", "probabilities"}`. A file named by --output is written
 * atomically; with --json and no --output, stdout holds one object with every prediction.
 */
import { type CommandSpec, formatHelp, JSON_FLAG, parseCommandArgs } from "../cli/args.ts";
import type { CliContext } from "../cli/context.ts";
import { loadTrained } from "../pipeline/load_trained.ts";
import { runPrediction } from "../pipeline/predict_run.ts";
import {
  BACKEND_FLAG,
  backendFlag,
  cwdPath,
  MODEL_REF_FLAG,
  openRegistry,
  REGISTRY_FLAG,
  requireFlags,
} from "./model_flags.ts";
import { writeAtomically } from "./write_atomically.ts";

export const PREDICT_SPEC = {
  name: "predict",
  summary: "Predict every row of a CSV file with a registered model: label and every class probability.",
  flags: {
    model: MODEL_REF_FLAG,
    input: { type: "string", valueName: "FILE", description: "CSV file of rows to predict (required)" },
    output: {
      type: "string",
      short: "o",
      valueName: "FILE",
      description: "write JSON lines here (atomically) instead of stdout",
    },
    registry: REGISTRY_FLAG,
    backend: BACKEND_FLAG,
    json: JSON_FLAG,
  },
} as const satisfies CommandSpec;

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, help } = parseCommandArgs(args, PREDICT_SPEC);
  if (help) {
    ctx.stdout(formatHelp(PREDICT_SPEC));
    return 0;
  }
  requireFlags(values, "predict", ["model", "input"]);
  const registry = await openRegistry(values.registry, ctx);
  const trained = await loadTrained(registry, values.model!, {
    logger: ctx.logger,
    backend: backendFlag(values.backend),
  }).finally(() => registry.close());
  try {
    const { predictions } = await runPrediction(trained, cwdPath(values.input!, ctx), { logger: ctx.logger });
    const { name, version } = trained.version.meta;
    if (values.output !== undefined) {
      const path = cwdPath(values.output, ctx);
      await writeAtomically(path, predictions.map((p) => JSON.stringify(p) + "\n").join(""), "--output");
      ctx.logger.info(`wrote ${predictions.length} predictions of ${name}@${version} to ${values.output}`);
      if (values.json) {
        ctx.stdout(JSON.stringify({ model: name, version, rows: predictions.length, output: path }) + "\n");
      }
    } else if (values.json) {
      ctx.stdout(JSON.stringify({ model: name, version, predictions }) + "\n");
    } else {
      ctx.stdout(predictions.map((p) => JSON.stringify(p) + "\n").join(""));
    }
    return 0;
  } finally {
    trained.dispose();
  }
}
