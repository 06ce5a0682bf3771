/**
 * The seam between the Trainer's loop (epochs, batches, validation, callbacks) and the code that runs
 * one optimizer step. Two implementations: tfjs kernels for any model (tfjs_engine.ts) and the fused
 * dense engine for plain MLPs (fused_engine.ts).
 */
import type { Batch } from "../../data/data_source.ts";
import type { TrainEngineName } from "../callbacks/callback.ts";
import type { OptimizerState } from "../trainer_state.ts";

export interface StepResult {
  /** The batch's loss before the update (class-weighted when weights are given). */
  loss: number;
  /** Rows whose arg-max matched the label; null for regression. */
  correct: number | null;
}

export interface StepEngine {
  readonly name: TrainEngineName;
  /**
   * One optimizer step. `sampleWeight` (per row) turns the loss into sum(w * CE) / sum(w); `seed` fixes
   * this step's random draws (dropout masks).
   */
  step(batch: Batch, sampleWeight: Float32Array | null, seed: number): Promise<StepResult>;
  /** The learning rate of the coming steps (schedules, reduce-on-plateau); saved configs keep the base rate. */
  setLearningRate(lr: number): void;
  /** Probabilities [n, classes] row-major, without dropout. */
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  /**
   * Runs before each epoch's first step. `seed` is derived from the run's seed and the epoch, so an
   * engine whose random stream is not seeded per step (the fused one) restarts it here and a resumed
   * run draws what an uninterrupted one would.
   */
  beginEpoch(seed: number): Promise<void>;
  /** Brings the tfjs model's weights up to date (before validation, callbacks, saving). */
  sync(): void;
  /** A copy of the optimizer's slots and step count, for a resumable checkpoint. */
  getOptimizerState(): Promise<OptimizerState>;
  /** Puts a saved optimizer state back before the first step of a resumed run. */
  setOptimizerState(state: OptimizerState): Promise<void>;
  /** Frees optimizer state and engine memory; the model stays usable. */
  dispose(): void;
}
