/**
 * One interface for every architecture. A model wraps a tf.LayersModel whose output is class
 * probabilities (softmax last), so training, evaluation, export and serving all see the same function.
 */
import type * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/schema.ts";

export interface ModelSpec {
  /** Input shape without the batch dimension: [features] for tabular, [H, W, C] (NHWC) for images. */
  inputShape: number[];
  numClasses: number;
  /** Seed for weight initialisation. */
  seed?: number;
}

export interface MmmlModel {
  readonly config: ModelConfig;
  readonly spec: ModelSpec;
  readonly net: tf.LayersModel;
  /** Total parameters (trainable and not). */
  paramCount(): number;
  trainableParamCount(): number;
  /** Freezes the backbone (every layer but the classification head). */
  freeze(): void;
  unfreeze(): void;
  /** Probabilities [N, numClasses] for a batch; the caller owns the returned tensor. */
  predict(x: tf.Tensor): tf.Tensor2D;
}

/** Builds an unfitted model of one architecture. */
export type ModelBuilder = (config: ModelConfig, spec: ModelSpec) => MmmlModel;
