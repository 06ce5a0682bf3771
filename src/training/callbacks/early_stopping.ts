/**
 * Stops training when the monitored figure has not improved for `patience` epochs, and (restoreBest)
 * puts the weights of the best epoch back into the model when training ends, so the model that is saved
 * and exported is the best one seen, not the last.
 */
import { z } from "zod";
import type { Logger } from "../../log.ts";
import { getWeightsSnapshot, setWeightsSnapshot, type WeightsSnapshot } from "../../models/model_io.ts";
import type { Callback, MonitorMode } from "./callback.ts";
import { parseCallbackState } from "./callback.ts";
import { createMonitor } from "./monitor.ts";

export interface EarlyStoppingOptions {
  monitor?: string;
  mode?: MonitorMode;
  /** Epochs without improvement after which training stops (as in Keras, 0 acts as 1). */
  patience?: number;
  /** Smallest change that counts as an improvement. */
  minDelta?: number;
  restoreBest?: boolean;
  logger?: Logger;
}

export interface EarlyStopping extends Callback {
  /** The best epoch so far (from 1), or 0 before the first. */
  readonly bestEpoch: number;
  readonly best: number;
  /** The epoch after which it asked to stop, or 0. */
  readonly stoppedEpoch: number;
}

/** What a resumed run restores: the best figure and epoch, the epochs waited, the best weights. */
const SavedState = z.strictObject({
  best: z.custom<number>((v) => typeof v === "number", "expected a number"),
  best_epoch: z.number().int().nonnegative(),
  wait: z.number().int().nonnegative(),
  stopped_epoch: z.number().int().nonnegative(),
  snapshot: z.array(z.custom<Float32Array>((v) => v instanceof Float32Array, "expected float32 values"))
    .nullable(),
});

/**
 * Creates the callback; its state resets at each onTrainBegin, so one instance can serve several fits.
 * Its state (stateKey "early_stopping") goes into resumable checkpoints, best weights included.
 */
export function earlyStopping(
  { monitor = "val_loss", mode = "auto", patience = 5, minDelta = 0, restoreBest = true, logger }:
    EarlyStoppingOptions = {},
): EarlyStopping {
  const watched = createMonitor({ monitor, mode, minDelta, setting: "training.early_stopping.monitor" });
  let bestEpoch = 0, stoppedEpoch = 0, wait = 0;
  let snapshot: WeightsSnapshot | null = null;
  return {
    get bestEpoch() {
      return bestEpoch;
    },
    get best() {
      return watched.best;
    },
    get stoppedEpoch() {
      return stoppedEpoch;
    },
    onTrainBegin() {
      watched.reset();
      [bestEpoch, stoppedEpoch, wait, snapshot] = [0, 0, 0, null];
    },
    stateKey: "early_stopping",
    getState: () => ({
      best: watched.best,
      best_epoch: bestEpoch,
      wait,
      stopped_epoch: stoppedEpoch,
      snapshot,
    }),
    setState(state) {
      const saved = parseCallbackState(SavedState, "early_stopping", state);
      watched.reset(saved.best, saved.best_epoch > 0);
      [bestEpoch, wait, stoppedEpoch, snapshot] = [
        saved.best_epoch,
        saved.wait,
        saved.stopped_epoch,
        saved.snapshot,
      ];
    },
    async onEpochEnd(epoch, logs, ctx) {
      if (watched.improves(watched.value(logs))) {
        [bestEpoch, wait] = [epoch, 0];
        if (restoreBest) snapshot = await getWeightsSnapshot(ctx.model);
        return;
      }
      if (++wait >= patience) {
        stoppedEpoch = epoch;
        ctx.requestStop(
          `early stopping: ${monitor} has not improved on ${watched.best} (epoch ${bestEpoch}) for ${wait} epochs`,
        );
      }
    },
    onTrainEnd(ctx) {
      if (!snapshot || bestEpoch === ctx.history.length) return;
      setWeightsSnapshot(ctx.model, snapshot);
      logger?.info("restored the best weights", { epoch: bestEpoch, [monitor]: watched.best });
    },
  };
}
