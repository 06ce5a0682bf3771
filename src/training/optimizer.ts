/** The optimizer named by `training.optimizer`, for tfjs and for the fused dense engine. */
import * as tf from "@tensorflow/tfjs";
import type { TrainingConfig } from "../config/schema.ts";
import type { DenseOptimizer } from "../engine/dense_trainer_types.ts";

export type OptimizerConfig = TrainingConfig["optimizer"];

/** A tfjs optimizer: Adam with the configured betas and epsilon, or SGD with momentum. */
export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  if (config.name === "adam") return tf.train.adam(config.lr, config.beta1, config.beta2, config.epsilon);
  // Plain SGD when momentum is 0: tf.train.momentum would still keep (and update) an accumulator per weight.
  return config.momentum > 0 ? tf.train.momentum(config.lr, config.momentum) : tf.train.sgd(config.lr);
}

/** The same optimizer described for the fused dense engine. */
export function denseOptimizer(config: OptimizerConfig): DenseOptimizer {
  return config.name === "adam"
    ? { name: "adam", lr: config.lr, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon }
    : { name: "sgd", lr: config.lr, momentum: config.momentum };
}
