/**
 * One interface for every architecture. A model wraps a tf.LayersModel whose output is class
 * probabilities (softmax last), or for a regression one linear output, so training, evaluation, export
 * and serving all see the same function.
 */
import type * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/schema.ts";

export interface ModelSpec {
  /** Input shape without the batch dimension: [features] for tabular, [H, W, C] (NHWC) for images. */
  inputShape: number[];
  /** Output width: the classes, or 1 for a regression. */
  numClasses: number;
  /** The head: class probabilities (softmax, the default) or a regression's value (linear, 1 output). */
  output?: "softmax" | "linear";
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
  /** Probabilities [N, numClasses] (a regression: its value [N, 1]) for a batch; the caller owns the result. */
  predict(x: tf.Tensor): tf.Tensor2D;
}

/** Builds an unfitted model of one architecture. */
export type ModelBuilder = (config: ModelConfig, spec: ModelSpec) => MmmlModel;
