/**
 * How a run's model is fitted: one fit, or fastai's `fine_tune` in two. With training.fine_tune on (by
 * default for an image model starting from pretrained weights with its backbone not frozen):
 *   1. the head alone for `freeze_epochs` epochs at optimizer.lr (the backbone frozen, its batch norm on
 *      moving statistics; through the embedding cache when augmentation is off);
 *   2. the whole network for training.epochs epochs at half that rate, the backbone's layers at
 *      `backbone_lr_mult` times the head's (discriminative rates), with early stopping and checkpoints.
 * A resumed fine-tune run continues phase 2 (phase 1 writes no checkpoints). The history of both phases
 * is one list, phase 2's epochs numbered after phase 1's.
 */
import { join } from "node:path";
import { HISTORY_FILE } from "../artifacts/version_files.ts";
import type { MmmlConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { HEAD_LAYER } from "../models/mlp.ts";
import type { MmmlModel } from "../models/model.ts";
import type { PreparedData } from "../tasks/prepared_data.ts";
import type { FitOptions } from "../training/fit_options.ts";
import { createTrainer, type FitResult } from "../training/trainer.ts";
import type { TrainerState } from "../training/trainer_state.ts";
import { fitInputs, withCacheSeconds } from "./embedding_cache.ts";
import { runCallbacks } from "./run_callbacks.ts";

/** The two phases' settings, or null for one plain fit. */
export interface FineTunePlan {
  freezeEpochs: number;
  backboneLrMult: number;
}

/** Whether this run fine-tunes (and how), from training.fine_tune and the model. */
export function fineTunePlan(config: MmmlConfig): FineTunePlan | null {
  const ft = config.training.fine_tune;
  if (ft.enabled === false) return null;
  const model = config.model;
  const image = model.arch !== "mlp";
  const frozen = model.arch !== "mlp" && model.freeze_backbone;
  if (ft.enabled === true && (!image || frozen)) {
    throw new MmmlError(
      "config_invalid",
      `training.fine_tune.enabled: true needs an image model whose backbone is not frozen, received ${
        image ? "model.freeze_backbone: true" : "model.arch: mlp"
      }`,
    );
  }
  const pretrained = model.arch !== "mlp" && Boolean(model.pretrained);
  if (ft.enabled === "auto" && !(pretrained && !frozen)) return null;
  return { freezeEpochs: ft.freeze_epochs, backboneLrMult: ft.backbone_lr_mult };
}

/** What every fit of the run shares; `config` is the run's (its saved config is not changed). */
export interface FitContext {
  config: MmmlConfig;
  data: PreparedData;
  workDir: string;
  logger: Logger;
  deps: { logger: Logger; isTerminal?: boolean };
  /** The fit options that do not change between phases. */
  options: Omit<
    FitOptions,
    "epochs" | "optimizer" | "seed" | "callbacks" | "augment" | "resume" | "layerRates"
  >;
  resume?: TrainerState;
}

/** One fit of `model` (through the embedding cache when it applies). */
async function fitOnce(
  model: MmmlModel,
  config: MmmlConfig,
  c: FitContext,
  extra: { layerRates?: (layer: string) => number; resume?: TrainerState } = {},
): Promise<FitResult> {
  const inputs = await fitInputs(model, c.data, config, {
    workDir: c.workDir,
    resumed: extra.resume !== undefined,
    logger: c.logger,
  });
  const fitted = await createTrainer({ logger: c.logger }).fit(inputs.model, inputs.train, inputs.val, {
    ...c.options,
    epochs: config.training.epochs,
    optimizer: config.training.optimizer,
    seed: config.training.seed,
    augment: c.data.augment && inputs.model === model,
    callbacks: runCallbacks(inputs.config, c.workDir, c.deps),
    layerRates: extra.layerRates,
    resume: extra.resume,
  });
  await inputs.finish();
  return withCacheSeconds(fitted, inputs.cacheSeconds);
}

/** Fits the run's model: once, or in fine_tune's two phases. */
export async function fitModel(model: MmmlModel, c: FitContext): Promise<FitResult> {
  const plan = fineTunePlan(c.config);
  if (!plan) return await fitOnce(model, c.config, c, { resume: c.resume });
  const { config, logger } = c;
  const mult = plan.backboneLrMult;
  const wholeLr = config.training.optimizer.lr / 2;
  const layerRates = (layer: string) => layer === HEAD_LAYER ? 1 : mult;
  const whole: MmmlConfig = {
    ...config,
    training: { ...config.training, optimizer: { ...config.training.optimizer, lr: wholeLr } },
  };
  if (c.resume) {
    logger.info(`fine-tune: continuing the whole network at lr ${wholeLr} (backbone x ${mult})`);
    return await fitOnce(model, whole, c, { layerRates, resume: c.resume });
  }
  logger.info(
    `fine-tune: ${plan.freezeEpochs} epoch(s) of the head alone at lr ${config.training.optimizer.lr}, then ` +
      `${config.training.epochs} of the whole network at lr ${wholeLr} with the backbone at x ${mult}`,
  );
  model.freeze();
  const head = await fitOnce(model, {
    ...config,
    model: { ...config.model, freeze_backbone: true } as MmmlConfig["model"],
    training: {
      ...config.training,
      epochs: plan.freezeEpochs,
      early_stopping: { ...config.training.early_stopping, enabled: false },
      checkpoint: { ...config.training.checkpoint, enabled: false },
    },
  }, c);
  model.unfreeze();
  // A new seed, so phase 2's epochs do not repeat phase 1's batch orders.
  const rest = await fitOnce(
    model,
    { ...whole, training: { ...whole.training, seed: whole.training.seed + 1 } },
    c,
    {
      layerRates,
    },
  );
  const merged = mergePhases(head, rest);
  await Deno.writeTextFile(
    join(c.workDir, HISTORY_FILE),
    merged.history.map((logs) => JSON.stringify(logs) + "\n").join(""),
  );
  return merged;
}

/** One result for both phases: phase 2's epochs numbered after phase 1's. */
export function mergePhases(head: FitResult, rest: FitResult): FitResult {
  const offset = head.history.length;
  const trainSeconds = head.trainSeconds + rest.trainSeconds;
  const rows = head.samplesPerSecond * head.trainSeconds + rest.samplesPerSecond * rest.trainSeconds;
  return {
    ...rest,
    history: [...head.history, ...rest.history.map((logs) => ({ ...logs, epoch: logs.epoch + offset }))],
    bestEpoch: rest.bestEpoch + offset,
    trainSeconds,
    samplesPerSecond: trainSeconds > 0 ? rows / trainSeconds : 0,
  };
}
