/**
 * `mmml evaluate --model NAME[@VERSION] --data FILE|DIR`: scores a registered model on labelled data
 * with the version's own classes and preprocessing: a CSV file for a tabular model (its schema), a
 * folder of class subfolders for an image model (classes a subset of the model's). --model here names a registered model,
 * not an architecture, so this command keeps its own flags rather than the config-setting ones.
 */
import { type CommandSpec, formatHelp, JSON_FLAG, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import { taskRules } from "../../tasks/tasks.ts";
import type { ClassificationReport } from "../../evaluation/metrics.ts";
import type { RegressionReport } from "../../evaluation/regression_metrics.ts";
import {
  BACKEND_FLAG,
  inputFrom,
  loadTrainedFromFlags,
  MODEL_REF_FLAG,
  REGISTRY_FLAG,
  requireFlags,
} from "./model_flags.ts";

export const EVALUATE_SPEC = {
  name: "evaluate",
  summary:
    "Score a registered model on a labelled CSV file or image folder (accuracy, F1, AUC, log loss, confusion matrix).",
  flags: {
    model: MODEL_REF_FLAG,
    data: {
      type: "string",
      valueName: "FILE|DIR",
      description:
        "labelled CSV, Parquet or JSON-lines file, - for standard input (tabular model), or folder of class subfolders (image model) (required)",
    },
    registry: REGISTRY_FLAG,
    backend: BACKEND_FLAG,
    json: JSON_FLAG,
  },
} as const satisfies CommandSpec;

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, help } = parseCommandArgs(args, EVALUATE_SPEC);
  if (help) {
    ctx.stdout(formatHelp(EVALUATE_SPEC));
    return 0;
  }
  requireFlags(values, "evaluate", ["model", "data"]);
  const trained = await loadTrainedFromFlags(values, ctx);
  try {
    const rules = taskRules(trained.task);
    const { path, content } = await inputFrom(values.data!, ctx);
    const result = await rules.evaluate(trained, path, {
      logger: ctx.logger,
      display: values.data!,
      content,
    });
    const { name, version } = trained.version.meta;
    if (values.json) {
      ctx.stdout(JSON.stringify({ model: name, version, rows: result.rows, metrics: result.metrics }) + "\n");
    } else {
      ctx.stdout(
        `${name}@${version} on ${values.data}: ${result.rows} ${rules.unit}\n` +
          formatReport(result.metrics),
      );
    }
    return 0;
  } finally {
    trained.dispose();
  }
}

/** A regression's report as text. */
export function formatRegressionReport(m: RegressionReport): string {
  const num = (x: number | null) => (x === null ? "-" : x.toFixed(4));
  return `  rmse ${num(m.rmse)}  mae ${num(m.mae)}  r2 ${num(m.r2)}  mape ${num(m.mape)}\n` +
    `  target mean ${num(m.target_mean)}, std ${num(m.target_std)}\n`;
}

/** The report as text: the scalars, per-class figures and the confusion matrix (a regression's figures). */
export function formatReport(m: ClassificationReport | RegressionReport): string {
  if ("rmse" in m) return formatRegressionReport(m);
  const num = (x: number | null) => (x === null ? "-" : x.toFixed(4));
  const lines = [
    `  accuracy ${num(m.accuracy)}  macro_f1 ${num(m.macro_f1)}  weighted_f1 ${num(m.weighted_f1)}`,
    `  precision ${num(m.precision)}  recall ${num(m.recall)}  auc ${num(m.auc)}  log_loss ${
      num(m.log_loss)
    }`,
    "",
  ];
  const names = Object.keys(m.per_class);
  const w = Math.max(5, ...names.map((n) => n.length));
  lines.push(`  ${"class".padEnd(w)}  precision  recall      f1  support`);
  for (const [name, c] of Object.entries(m.per_class)) {
    lines.push(
      `  ${name.padEnd(w)}  ${num(c.precision).padStart(9)}  ${num(c.recall).padStart(6)}  ` +
        `${num(c.f1).padStart(6)}  ${String(c.support).padStart(7)}`,
    );
  }
  const cw = Math.max(
    ...names.map((n) => n.length),
    ...m.confusion_matrix.flat().map((v) => String(v).length),
  );
  lines.push("", `  confusion matrix (rows: true, columns: predicted)`);
  lines.push(`  ${"".padEnd(w)}  ${names.map((n) => n.padStart(cw)).join(" ")}`);
  m.confusion_matrix.forEach((row, i) => {
    lines.push(`  ${names[i].padEnd(w)}  ${row.map((v) => String(v).padStart(cw)).join(" ")}`);
  });
  for (const note of m.notes) lines.push(`  note: ${note}`);
  return lines.join("\n") + "\n";
}
