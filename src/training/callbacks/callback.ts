/**
 * The Trainer's callback contract, with the Keras hook names. Hooks may be async; a callback that wants
 * training to end calls `ctx.requestStop()` rather than throwing, so the epoch in hand still finishes
 * cleanly (validation, checkpoints, logs) and onTrainEnd still runs.
 */
import type { z } from "zod";
import { MmmlError } from "../../errors.ts";
import type { MmmlModel } from "../../models/model.ts";
import type { TrainerState } from "../trainer_state.ts";

/** Which step implementation trains the model: tfjs kernels, or the fused dense engine. */
export type TrainEngineName = "tfjs" | "fused";

/**
 * One epoch's figures. `epoch` counts from 1. `loss`/`accuracy` (classes only) are over the epoch's training batches
 * (dropout on, class weights applied to the loss); `val_*` appear when there is a validation source.
 * `seconds` is the epoch's wall time, validation included; `lr` the learning rate it ran with.
 */
export interface EpochLog {
  epoch: number;
  loss: number;
  seconds: number;
  lr: number;
  [metric: string]: number;
}

/** One training step's figures; `batch` counts from 0 within the epoch. */
export interface BatchLog {
  batch: number;
  size: number;
  loss: number;
  /** Classes only. */
  accuracy?: number;
}

/** What every hook can see and do. */
export interface TrainContext {
  readonly model: MmmlModel;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  readonly engine: TrainEngineName;
  /** Logs of the epochs finished so far. */
  readonly history: readonly EpochLog[];
  /** training.optimizer.lr: the rate schedules start from. */
  readonly baseLr: number;
  /** The factor on the scheduled rate (reduce-on-plateau lowers it); 1 at the start. */
  readonly lrFactor: number;
  /** Sets that factor, in (0, 1], for the coming steps. */
  setLrFactor(factor: number): void;
  /** Ends training after the current batch; the epoch is then validated and logged as usual. */
  requestStop(reason: string): void;
  /**
   * The state a resumed run needs (optimizer, epochs done, callback states), for a checkpoint to save
   * beside the weights. Only valid in onEpochEnd, from a callback placed after every stateful one.
   */
  captureState?(): Promise<TrainerState>;
}

type HookResult = void | Promise<void>;

/** A training callback; every hook is optional. Epoch numbers count from 1, as in EpochLog. */
export interface Callback {
  onTrainBegin?(ctx: TrainContext): HookResult;
  onEpochBegin?(epoch: number, ctx: TrainContext): HookResult;
  onBatchEnd?(batch: number, logs: BatchLog, ctx: TrainContext): HookResult;
  /** Runs after validation, with the model holding this epoch's weights. */
  onEpochEnd?(epoch: number, logs: EpochLog, ctx: TrainContext): HookResult;
  /** Runs once after the last epoch, whether training ran all epochs or was asked to stop. */
  onTrainEnd?(ctx: TrainContext): HookResult;
  /** Names this callback's entry in a saved trainer state; set together with getState and setState. */
  readonly stateKey?: string;
  /** What a resumed run must restore (plain data; Float32Array allowed), read after onEpochEnd. */
  getState?(): unknown;
  /** Restores getState's value; the trainer calls it after onTrainBegin when it resumes a run. */
  setState?(state: unknown): void;
}

export type MonitorMode = "auto" | "min" | "max";

// Metrics where bigger is better; anything else (losses, errors) is minimised.
const MAXIMISED = /acc|auc|f1|precision|recall/i;

/** "auto" picks max for accuracy, AUC, F1, precision and recall, and min for everything else. */
export function resolveMode(monitor: string, mode: MonitorMode): "min" | "max" {
  if (mode !== "auto") return mode;
  return MAXIMISED.test(monitor) ? "max" : "min";
}

/** Whether `value` beats `best` by more than `minDelta` in the monitor's direction. */
export function isImprovement(value: number, best: number, mode: "min" | "max", minDelta = 0): boolean {
  if (!Number.isFinite(value)) return false;
  return mode === "min" ? value < best - minDelta : value > best + minDelta;
}

/** The monitored figure from an epoch's logs; fails naming the setting and the figures there are. */
export function monitoredValue(logs: EpochLog, monitor: string, setting: string): number {
  const value = logs[monitor];
  if (typeof value !== "number") {
    const available = Object.keys(logs).filter((k) => !["epoch", "seconds", "lr"].includes(k));
    throw new MmmlError(
      "config_invalid",
      `${setting}: expected one of ${available.join(", ")}, received ${JSON.stringify(monitor)}` +
        (monitor.startsWith("val_") && !("val_loss" in logs) ? " (there is no validation set)" : ""),
    );
  }
  return value;
}

/**
 * A callback's saved state (setState's argument) checked against its schema; a mismatch is an
 * artifact_corrupt error naming the field as `trainer state callbacks.KEY.PATH`.
 */
export function parseCallbackState<T extends z.ZodType>(schema: T, key: string, state: unknown): z.infer<T> {
  const parsed = schema.safeParse(state);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MmmlError(
      "artifact_corrupt",
      `trainer state callbacks.${key}.${issue.path.join(".")}: ${issue.message}`,
    );
  }
  return parsed.data;
}
