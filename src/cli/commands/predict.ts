/**
 * `mmml predict --model NAME[@VERSION] --input FILE|DIR|- [--output FILE] [--top-k K] [--keep-columns C,..]`:
 * for a tabular model, one prediction per row of a CSV, Parquet or JSON-lines file (or standard input),
 * in file order, as JSON lines `{"row", "label", "probabilities"}` (a regression: `{"row", "value"}`),
 * with the `--keep-columns` cells after `row`; for an image model, one per image of a file or a folder
 * (PNG/JPEG at any depth, sorted by path), as `{"file", "label", "probabilities"}`. `--top-k` adds the K
 * most probable labels (`top_k`, as the server's image route). A file named by --output is written
 * atomically; with --json and no --output, stdout holds one object with every prediction.
 */
import { type CommandSpec, formatHelp, JSON_FLAG, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import { MmmlError } from "../../errors.ts";
import { taskRules } from "../../tasks/tasks.ts";
import {
  BACKEND_FLAG,
  cwdPath,
  inputFrom,
  loadTrainedFromFlags,
  MODEL_REF_FLAG,
  REGISTRY_FLAG,
  requireFlags,
} from "./model_flags.ts";
import { writeAtomically } from "./write_atomically.ts";

export const PREDICT_SPEC = {
  name: "predict",
  summary:
    "Predict every row of a CSV file, or every image of a file or folder, with a registered model: label and every class probability.",
  flags: {
    model: MODEL_REF_FLAG,
    input: {
      type: "string",
      valueName: "FILE|DIR",
      description:
        "CSV, Parquet or JSON-lines file of rows, - for standard input (tabular model), or an image file or folder of images (image model) (required)",
    },
    "keep-columns": {
      type: "string",
      valueName: "C1,C2",
      description: "copy these input columns into each prediction, after row (to join predictions back)",
    },
    "strict-columns": {
      type: "boolean",
      description: "refuse input columns the model does not read (by default they are ignored and listed)",
    },
    "top-k": {
      type: "number",
      valueName: "K",
      description: "also list the K most probable labels of each prediction (top_k)",
    },
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
  const topK = values["top-k"];
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) {
    throw new MmmlError("usage", `--top-k expects a positive integer, received ${topK}`);
  }
  const trained = await loadTrainedFromFlags(values, ctx);
  try {
    const { path, content } = await inputFrom(values.input!, ctx);
    const keepColumns = values["keep-columns"]?.split(",").map((c) => c.trim()).filter((c) => c !== "");
    const options = {
      logger: ctx.logger,
      display: values.input!,
      strictColumns: values["strict-columns"],
      content,
      keepColumns,
    };
    const result = await taskRules(trained.task).predict(trained, path, options);
    const found = result.predictions;
    const ignored = result.ignored_columns?.length ? { ignored_columns: result.ignored_columns } : {};
    if (topK !== undefined && taskRules(trained.task).modelOutput === "linear") {
      const { name, version } = trained.version.meta;
      throw new MmmlError(
        "usage",
        `--top-k lists classes; ${name}@${version} is a regression, which predicts a value`,
      );
    }
    const predictions = topK === undefined
      ? found
      : found.map((p) => ({ ...p, top_k: "probabilities" in p ? mostProbable(p, topK) : [] }));
    const { name, version } = trained.version.meta;
    if (values.output !== undefined) {
      const path = cwdPath(values.output, ctx);
      await writeAtomically(path, predictions.map((p) => JSON.stringify(p) + "\n").join(""), "--output");
      ctx.logger.info(`wrote ${predictions.length} predictions of ${name}@${version} to ${values.output}`);
      if (values.json) {
        ctx.stdout(
          JSON.stringify({ model: name, version, rows: predictions.length, output: path, ...ignored }) + "\n",
        );
      }
    } else if (values.json) {
      ctx.stdout(JSON.stringify({ model: name, version, predictions, ...ignored }) + "\n");
    } else {
      ctx.stdout(predictions.map((p) => JSON.stringify(p) + "\n").join(""));
    }
    return 0;
  } finally {
    trained.dispose();
  }
}

/** The `k` most probable labels, most probable first (ties in class order). */
export function mostProbable(
  p: { probabilities: Record<string, number> },
  k: number,
): { label: string; probability: number }[] {
  return Object.entries(p.probabilities)
    .map(([label, probability], i) => ({ label, probability, i }))
    .sort((a, b) => b.probability - a.probability || a.i - b.i)
    .slice(0, k)
    .map(({ label, probability }) => ({ label, probability }));
}
