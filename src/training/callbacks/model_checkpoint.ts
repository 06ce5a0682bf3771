/**
 * Saves the model during training: DIR/best when the monitored figure improves and DIR/last after every
 * epoch, each a saveModel folder plus checkpoint.json (epoch and figures). DIR/last also holds the
 * trainer state (trainer_state.ts) a resumed run starts from, so place this callback after the other
 * stateful ones (early stopping). A checkpoint is written to a temporary folder and renamed into place,
 * so a crash mid-write never leaves a half-written one, and the weights and state always agree.
 */
import { join } from "node:path";
import type { Logger } from "../../log.ts";
import { z } from "zod";
import type { MmmlModel } from "../../models/model.ts";
import { saveModel } from "../../models/model_io.ts";
import { type TrainerState, writeTrainerState } from "../trainer_state.ts";
import type { Callback, EpochLog, MonitorMode } from "./callback.ts";
import { parseCallbackState } from "./callback.ts";
import { createMonitor } from "./monitor.ts";

/** Where the best epoch's weights go, under the checkpoint folder. */
export const BEST_SUBDIR = "best";
/** Where the last epoch's weights and trainer state go, under the checkpoint folder. */
export const LAST_SUBDIR = "last";

export interface ModelCheckpointOptions {
  /** The checkpoints folder (an artifacts folder's `checkpoints/`). */
  dir: string;
  monitor?: string;
  mode?: MonitorMode;
  saveBest?: boolean;
  saveLast?: boolean;
  logger?: Logger;
}

export interface ModelCheckpoint extends Callback {
  /** The epoch saved as best (from 1), or 0. */
  readonly bestEpoch: number;
}

const SavedState = z.strictObject({
  best: z.custom<number>((v) => typeof v === "number", "expected a number"),
  best_epoch: z.number().int().nonnegative(),
});

/** Creates the callback; state resets at each onTrainBegin, and is saved (stateKey "model_checkpoint"). */
export function modelCheckpoint(
  { dir, monitor = "val_loss", mode = "auto", saveBest = true, saveLast = true, logger }:
    ModelCheckpointOptions,
): ModelCheckpoint {
  const watched = createMonitor({ monitor, mode, setting: "training.checkpoint.monitor" });
  let bestEpoch = 0;
  return {
    get bestEpoch() {
      return bestEpoch;
    },
    onTrainBegin() {
      watched.reset();
      bestEpoch = 0;
    },
    stateKey: "model_checkpoint",
    getState: () => ({ best: watched.best, best_epoch: bestEpoch }),
    setState(state) {
      const saved = parseCallbackState(SavedState, "model_checkpoint", state);
      watched.reset(saved.best, saved.best_epoch > 0);
      bestEpoch = saved.best_epoch;
    },
    async onEpochEnd(epoch, logs, ctx) {
      const value = watched.value(logs);
      if (saveBest && watched.improves(value)) {
        bestEpoch = epoch;
        await saveCheckpoint(ctx.model, join(dir, BEST_SUBDIR), { monitor, logs });
        logger?.debug("saved the best checkpoint", { epoch, [monitor]: value });
      }
      if (saveLast) {
        await saveCheckpoint(
          ctx.model,
          join(dir, LAST_SUBDIR),
          { monitor, logs },
          await ctx.captureState?.(),
        );
      }
    },
  };
}

async function saveCheckpoint(
  model: MmmlModel,
  target: string,
  info: { monitor: string; logs: EpochLog },
  state?: TrainerState,
) {
  const suffix = crypto.randomUUID().slice(0, 8);
  const staging = `${target}.tmp-${suffix}`;
  const retired = `${target}.old-${suffix}`;
  try {
    await saveModel(model, staging);
    if (state) await writeTrainerState(staging, state);
    await Deno.writeTextFile(join(staging, "checkpoint.json"), JSON.stringify(info, null, 1) + "\n");
    // rename() cannot replace a non-empty folder: move the old one aside first.
    const hadOld = await Deno.rename(target, retired).then(() => true, (err) => {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    });
    await Deno.rename(staging, target);
    if (hadOld) await Deno.remove(retired, { recursive: true });
  } catch (err) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw err;
  }
}
