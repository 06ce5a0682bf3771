/**
 * Learning-rate schedules, as pure functions of the training step, so a resumed run takes the very
 * rates an uninterrupted one would. The shapes are the ones ML engineers know from torch.optim,
 * Keras and fastai:
 *
 * - constant: the base rate throughout (Keras' and the reference's default);
 * - cosine: half a cosine from the base rate down to `min_lr` over the run, per step
 *   (torch's CosineAnnealingLR with T_max = all steps, Keras' CosineDecay);
 * - linear: a straight line from the base rate down to `min_lr` (torch's LinearLR / transformers'
 *   linear decay);
 * - step: the base rate times `gamma` every `step_size` epochs (torch's StepLR);
 * - exponential: the base rate times `gamma` each epoch (torch's ExponentialLR);
 * - one_cycle: fastai's fit_one_cycle (torch's OneCycleLR with its cosine annealing): from base/25 up
 *   to the base rate over the first `pct_start` of the steps, then down to base/1e5, per step.
 *
 * "auto" (the default) is resolved per task before training (resolveLrSchedule with the task's
 * autoLrSchedule, src/tasks/): cosine for image
 * models, where annealing is what short runs need (fastai and timm anneal by default; on Fashion-MNIST
 * ResNet-18 for 3 epochs it was worth several points of test accuracy, see README), and constant for
 * tabular MLPs, which train under early stopping and where Keras' constant rate is the norm.
 *
 * `warmup_epochs` (fractions allowed) puts a linear warm-up from base/`warmup_div` in front of any
 * shape but one_cycle (which has its own); the shape then runs over the steps after the warm-up.
 */
import type { TrainingConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";

export type LrScheduleConfig = TrainingConfig["lr_schedule"];

/** Where a step sits in the run. `step` counts from 0 over the whole run, not per epoch. */
export interface StepPosition {
  step: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

// fastai's fit_one_cycle defaults: start at lr/25, end at lr/1e5.
const ONE_CYCLE_DIV = 25;
const ONE_CYCLE_FINAL_DIV = 1e5;

/** `schedule` with "auto" replaced by the task's choice (TaskRules.autoLrSchedule); other names kept. */
export function resolveLrSchedule(
  schedule: LrScheduleConfig,
  auto: "constant" | "cosine",
): LrScheduleConfig {
  if (schedule.name !== "auto") return schedule;
  return { ...schedule, name: auto };
}

/** The learning rate of one step under `schedule` (resolved), from `baseLr` (training.optimizer.lr). */
export function scheduledLr(schedule: LrScheduleConfig, baseLr: number, at: StepPosition): number {
  const { step, stepsPerEpoch, totalSteps } = at;
  if (schedule.name === "one_cycle") return oneCycle(baseLr, step, totalSteps, schedule.pct_start);
  const warmup = Math.round(schedule.warmup_epochs * stepsPerEpoch);
  if (step < warmup) {
    const start = baseLr / schedule.warmup_div;
    return start + (baseLr - start) * step / warmup;
  }
  const after = step - warmup;
  const span = Math.max(1, totalSteps - warmup);
  const floor = Math.min(schedule.min_lr, baseLr);
  switch (schedule.name) {
    case "auto": // checkLrSchedule refuses it before training starts
      throw new Error('scheduledLr: resolve "auto" with resolveLrSchedule first');
    case "constant":
      return baseLr;
    case "cosine":
      return floor + (baseLr - floor) * (1 + Math.cos(Math.PI * after / span)) / 2;
    case "linear":
      return floor + (baseLr - floor) * (1 - after / span);
    case "step":
      return baseLr * schedule.gamma ** Math.floor(Math.floor(after / stepsPerEpoch) / schedule.step_size);
    case "exponential":
      return baseLr * schedule.gamma ** Math.floor(after / stepsPerEpoch);
  }
}

// torch's OneCycleLR phases: the peak at step pct_start * total - 1, the end at the last step.
function oneCycle(baseLr: number, step: number, totalSteps: number, pctStart: number): number {
  const peak = Math.max(1, pctStart * totalSteps - 1);
  const last = Math.max(peak + 1, totalSteps - 1);
  const start = baseLr / ONE_CYCLE_DIV;
  const end = baseLr / ONE_CYCLE_FINAL_DIV;
  const cos = (from: number, to: number, t: number) => to + (from - to) * (1 + Math.cos(Math.PI * t)) / 2;
  if (step <= peak) return cos(start, baseLr, step / peak);
  return cos(baseLr, end, Math.min(1, (step - peak) / (last - peak)));
}

/** Fails when the schedule cannot run in `epochs` epochs: a warm-up must leave epochs to decay over. */
export function checkLrSchedule(schedule: LrScheduleConfig, epochs: number): void {
  if (schedule.name === "auto") {
    throw new Error('checkLrSchedule: resolve "auto" with resolveLrSchedule first');
  }
  if (schedule.name !== "one_cycle" && schedule.warmup_epochs >= epochs) {
    throw new MmmlError(
      "config_invalid",
      `training.lr_schedule.warmup_epochs: expected fewer than training.epochs (${epochs}), received ${schedule.warmup_epochs}`,
    );
  }
}

/** The rate of each step of one fit: the schedule's, times a factor that reduce-on-plateau lowers. */
export interface StepRates {
  /** The rate of step `step` (from 0) of epoch `epoch` (from 1). */
  at(epoch: number, step: number): number;
  readonly factor: number;
  /** Sets the factor, in (0, 1], for the coming steps. */
  setFactor(factor: number): void;
}

/** StepRates for a fit of `epochs` epochs; constant at `baseLr` when there is no schedule. */
export function stepRates(
  schedule: LrScheduleConfig | undefined,
  baseLr: number,
  { epochs, stepsPerEpoch }: { epochs: number; stepsPerEpoch: number },
): StepRates {
  let factor = 1;
  const totalSteps = epochs * stepsPerEpoch;
  return {
    at: (epoch, step) =>
      factor *
      (schedule
        ? scheduledLr(schedule, baseLr, {
          step: (epoch - 1) * stepsPerEpoch + step,
          stepsPerEpoch,
          totalSteps,
        })
        : baseLr),
    get factor() {
      return factor;
    },
    setFactor(next) {
      if (!(next > 0 && next <= 1)) throw new RangeError(`setFactor: expected (0, 1], received ${next}`);
      factor = next;
    },
  };
}
