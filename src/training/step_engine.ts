/**
 * The seam between the Trainer's loop (epochs, batches, validation, callbacks) and the code that runs
 * one optimizer step. Two implementations: tfjs kernels for any model (tfjs_engine.ts) and the fused
 * dense engine for plain MLPs (fused_engine.ts).
 */
import type { Batch } from "./data_source.ts";
import type { TrainEngineName } from "./callbacks/callback.ts";

export interface StepResult {
  /** The batch's loss before the update (class-weighted when weights are given). */
  loss: number;
  /** Rows whose arg-max matched the label. */
  correct: number;
}

export interface StepEngine {
  readonly name: TrainEngineName;
  /**
   * One optimizer step. `sampleWeight` (per row) turns the loss into sum(w * CE) / sum(w); `seed` fixes
   * this step's random draws (dropout masks).
   */
  step(batch: Batch, sampleWeight: Float32Array | null, seed: number): Promise<StepResult>;
  /** Probabilities [n, classes] row-major, without dropout. */
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  /** Brings the tfjs model's weights up to date (before validation, callbacks, saving). */
  sync(): void;
  /** Frees optimizer state and engine memory; the model stays usable. */
  dispose(): void;
}
