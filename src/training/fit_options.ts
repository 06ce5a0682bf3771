/**
 * What one fit is asked to do: epochs, batches, optimizer and schedule, callbacks, the engine, what to
 * monitor, and where a resumed run picks up. Below the loop (trainer.ts) and its epochs (epoch.ts), so
 * both read it without importing each other.
 */
import type { Callback, MonitorMode, TrainEngineName } from "./callbacks/callback.ts";
import type { LrScheduleConfig } from "./lr_schedule.ts";
import type { OptimizerConfig } from "../config/schema.ts";
import type { Objective } from "./objective.ts";
import type { TrainerState } from "./trainer_state.ts";

/**
 * Extra validation figures, e.g. macro F1 or RMSE; keys are logged with a `val_` prefix. `outputs` is
 * [rows, width] row-major (probabilities, or a regression's output); `truth` the class indices
 * (Int32Array) or the regression targets (Float32Array).
 */
export type ValMetrics = (
  outputs: Float32Array,
  truth: Int32Array | Float32Array,
  width: number,
) => Record<string, number>;

export interface FitOptions {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  /** How the rate moves from `optimizer.lr` step by step; constant when absent. */
  lrSchedule?: LrScheduleConfig;
  /** What the fit minimises; classification (softmax cross-entropy) when absent. */
  objective?: Objective;
  /** L2 weight decay on the dense and conv kernels: their gradients get weightDecay * W; 0 when absent. */
  weightDecay?: number;
  /** Loss weight per class index (see class_weights.ts), or null for an unweighted loss. */
  classWeights?: Float32Array | null;
  seed: number;
  shuffle?: boolean;
  /** Ask the training source for augmented batches (image sources). */
  augment?: boolean;
  callbacks?: Callback[];
  /**
   * Discriminative rates (fine-tuning a backbone slower than its head): each layer's rate as a multiple of
   * the schedule's; 1 for every layer when absent. The tfjs engine applies them.
   */
  layerRates?: (layer: string) => number;
  /** "auto": the fused engine when the model and backend allow it, else tfjs. */
  engine?: "auto" | TrainEngineName;
  /** The active tfjs backend; defaults to tf.getBackend(). */
  backend?: string;
  valMetrics?: ValMetrics;
  /** The figure that picks `bestEpoch`; defaults to val_loss, or loss without a validation source. */
  monitor?: string;
  mode?: MonitorMode;
  /**
   * Continue a run from a checkpoint's trainer state (trainer_state.ts), with the model already holding
   * that checkpoint's weights: training starts at epoch state.epoch + 1 with the saved optimizer slots
   * and callback states, and the history, best epoch and timings carry on from the saved ones.
   */
  resume?: TrainerState;
}
