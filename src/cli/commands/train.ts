/**
 * `mmml train`: a CSV (or, with issue 4, an image folder) becomes a trained, evaluated and registered
 * model. With no --data and no data.path in a config file it trains on the embedded default data set
 * (fixtures/iris.csv), so a fresh clone has a one-command demo.
 */
import { fileURLToPath } from "node:url";
import {
  type CommandSpec,
  CONFIG_FILE_FLAGS,
  configFlagSpecs,
  formatHelp,
  JSON_FLAG,
  parseCommandArgs,
} from "../args.ts";
import type { CliContext } from "../context.ts";
import { loadConfig } from "../../config/load_config.ts";
import type { MmmlConfig } from "../../config/schema.ts";
import { resumeTraining } from "../../runs/resume.ts";
import { parseResumeRequest } from "../../runs/resume_request.ts";
import { runTraining, type TrainRunResult } from "../../runs/train.ts";
import { hubOptions, openRegistry } from "./model_flags.ts";

export const TRAIN_SPEC = {
  name: "train",
  summary: "Train a model on a CSV file (or an image folder) and register it as a new version.",
  flags: {
    ...configFlagSpecs(
      "data",
      "label",
      "problem-type",
      "name",
      "test",
      "model",
      "epochs",
      "batch-size",
      "lr",
      "lr-schedule",
      "seed",
      "registry",
      "backend",
      "image-size",
      "pretrained",
      "threads",
    ),
    "freeze-backbone": { type: "boolean", description: "sets model.freeze_backbone (train the head only)" },
    "keep-checkpoints": {
      type: "boolean",
      description: "keep the best and resumable checkpoints in the version, whatever their size " +
        "(training.checkpoint.keep=always; by default only small ones are kept)",
    },
    resume: {
      type: "string",
      valueName: "NAME@VERSION",
      description:
        "continue that version from its last checkpoint as a new version (only --epochs, --name, " +
        "--registry may change)",
    },
    "resume-dir": {
      type: "string",
      valueName: "DIR",
      description: "continue a killed run from the work folder it printed at its start",
    },
    ...CONFIG_FILE_FLAGS,
    json: JSON_FLAG,
  },
} as const satisfies CommandSpec;

/**
 * The embedded default: a small shipped data set, so `mmml train` alone runs the main job. Its 104
 * training rows would make 2 steps an epoch at the default batch of 64, so the demo trains at 16 unless a
 * batch size was chosen.
 */
export const DEFAULT_DATA = {
  path: fileURLToPath(new URL("../../../fixtures/iris.csv", import.meta.url)),
  label: "species",
  name: "iris",
  batchSize: 16,
} as const;

/**
 * Fills in the embedded default data set when neither flags nor config files name any data;
 * `batchSizeChosen` says whether a flag, file or --set chose the batch size.
 */
export function withDefaultData(
  config: MmmlConfig,
  { batchSizeChosen = true }: { batchSizeChosen?: boolean } = {},
): { config: MmmlConfig; usedDefault: boolean } {
  if (config.data.path) return { config, usedDefault: false };
  return {
    config: {
      ...config,
      data: { ...config.data, path: DEFAULT_DATA.path, label: config.data.label ?? DEFAULT_DATA.label },
      training: batchSizeChosen
        ? config.training
        : { ...config.training, batch_size: DEFAULT_DATA.batchSize },
      registry: { ...config.registry, name: config.registry.name ?? DEFAULT_DATA.name },
    },
    usedDefault: true,
  };
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, help } = parseCommandArgs(args, TRAIN_SPEC);
  if (help) {
    ctx.stdout(formatHelp(TRAIN_SPEC));
    return 0;
  }
  if (values.resume !== undefined || values["resume-dir"] !== undefined) {
    const result = await resumeTraining(parseResumeRequest(values, ctx.cwd), {
      logger: ctx.logger,
      isTerminal: ctx.stderrIsTerminal,
      openRegistry: (location, artifacts) => openRegistry(location, ctx, artifacts),
    });
    return printResult(result, values.json, ctx);
  }
  const loaded = await loadConfig({
    files: values.config,
    flags: values,
    sets: [
      ...values.set,
      ...(values["freeze-backbone"] ? ["model.freeze_backbone=true"] : []),
      ...(values["keep-checkpoints"] ? ["training.checkpoint.keep=always"] : []),
    ],
    cwd: ctx.cwd,
    logger: ctx.logger,
  });
  const batchSizeChosen = loaded.explicit.has("training.batch_size");
  const { config, usedDefault } = withDefaultData(loaded.config, { batchSizeChosen });
  if (usedDefault) ctx.logger.info(`no --data given: training on the embedded default ${DEFAULT_DATA.path}`);
  const registry = await openRegistry(config.registry.path, ctx, config.registry.artifacts);
  const deps = {
    registry,
    logger: ctx.logger,
    isTerminal: ctx.stderrIsTerminal,
    explicit: loaded.explicit,
    hub: hubOptions(ctx),
  };
  const result = await runTraining(config, deps)
    .finally(() => registry.close());
  return printResult(result, values.json, ctx);
}

function printResult(result: TrainRunResult, json: boolean, ctx: CliContext): number {
  if (json) {
    ctx.stdout(JSON.stringify(result) + "\n");
  } else {
    const fmt = (m: Record<string, number>) =>
      Object.entries(m).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(", ");
    ctx.stdout(
      `${result.name}@${result.version} (${result.task}, ${result.backend}/${result.engine})\n` +
        `  val:  ${fmt(result.metrics.val) || "-"}\n  test: ${fmt(result.metrics.test) || "-"}\n` +
        `  ${result.epochs_run} epochs, ${result.train_seconds.toFixed(2)} s training, ` +
        `${Math.round(result.samples_per_second)} samples/s\n  artifacts: ${result.artifact}\n`,
    );
  }
  return 0;
}
