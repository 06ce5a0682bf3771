/**
 * Keras' ReduceLROnPlateau: when the monitored figure has not improved for `patience` epochs, the
 * learning rate is multiplied by `factor` (never below `minLr`), then `cooldown` epochs pass before
 * waiting starts again. It works on the trainer's rate factor, so it composes with any schedule: the
 * rate of a step is schedule(step) x factor.
 */
import { z } from "zod";
import type { Logger } from "../../log.ts";
import type { Callback, MonitorMode, TrainContext } from "./callback.ts";
import { parseCallbackState } from "./callback.ts";
import { createMonitor } from "./monitor.ts";

export interface ReduceLrOnPlateauOptions {
  monitor?: string;
  mode?: MonitorMode;
  /** Multiplies the rate at each reduction; in (0, 1). */
  factor?: number;
  /** Epochs without improvement before a reduction (as in Keras, 0 acts as 1). */
  patience?: number;
  /** Smallest change that counts as an improvement. */
  minDelta?: number;
  /** Epochs after a reduction during which no waiting is counted. */
  cooldown?: number;
  /** The rate is not reduced below this. */
  minLr?: number;
  logger?: Logger;
}

export interface ReduceLrOnPlateau extends Callback {
  /** Epochs (from 1) after which the rate was reduced. */
  readonly reductions: readonly number[];
}

const SavedState = z.strictObject({
  best: z.custom<number>((v) => typeof v === "number", "expected a number"),
  wait: z.number().int().nonnegative(),
  cooldown_left: z.number().int().nonnegative(),
  factor: z.number().gt(0).max(1),
  reductions: z.array(z.number().int().positive()),
});

/** Creates the callback (stateKey "reduce_on_plateau"); its state resets at each onTrainBegin. */
export function reduceLrOnPlateau(
  {
    monitor = "val_loss",
    mode = "auto",
    factor = 0.1,
    patience = 3,
    minDelta = 1e-4,
    cooldown = 0,
    minLr = 0,
    logger,
  }: ReduceLrOnPlateauOptions = {},
): ReduceLrOnPlateau {
  if (!(factor > 0 && factor < 1)) {
    throw new RangeError(`reduceLrOnPlateau: factor must be in (0, 1), received ${factor}`);
  }
  const watched = createMonitor({ monitor, mode, minDelta, setting: "training.reduce_on_plateau.monitor" });
  let wait = 0, cooldownLeft = 0;
  let reductions: number[] = [];
  let context: TrainContext | undefined;
  return {
    get reductions() {
      return reductions;
    },
    onTrainBegin(ctx) {
      context = ctx;
      watched.reset();
      [wait, cooldownLeft, reductions] = [0, 0, []];
    },
    stateKey: "reduce_on_plateau",
    getState: () => ({
      best: watched.best,
      wait,
      cooldown_left: cooldownLeft,
      factor: context?.lrFactor ?? 1,
      reductions: [...reductions],
    }),
    setState(state) {
      const saved = parseCallbackState(SavedState, "reduce_on_plateau", state);
      watched.reset(saved.best);
      [wait, cooldownLeft, reductions] = [saved.wait, saved.cooldown_left, saved.reductions];
      context?.setLrFactor(saved.factor);
    },
    onEpochEnd(epoch, logs, ctx) {
      const value = watched.value(logs);
      // Keras' order: a cooldown epoch counts down and resets the wait; an improvement always counts.
      const cooling = cooldownLeft > 0;
      if (cooling) [cooldownLeft, wait] = [cooldownLeft - 1, 0];
      // As before monitors were shared: a NaN best (a diverged first epoch) is replaced by the next value.
      if (Number.isNaN(watched.best)) watched.reset();
      if (watched.improves(value)) {
        wait = 0;
        return;
      }
      if (cooling || ++wait < Math.max(1, patience)) return;
      const next = Math.max(ctx.lrFactor * factor, minLr / ctx.baseLr);
      if (!(next < ctx.lrFactor)) return;
      ctx.setLrFactor(next);
      [cooldownLeft, wait] = [cooldown, 0];
      reductions.push(epoch);
      logger?.info("reduced the learning rate", {
        epoch,
        [monitor]: value,
        best: watched.best,
        lr_factor: next,
        lr: ctx.baseLr * next,
      });
    },
  };
}
