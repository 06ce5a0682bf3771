/** The optimizer named by `training.optimizer`, for tfjs and for the fused dense engine. */
import * as tf from "@tensorflow/tfjs";
import type { OptimizerConfig } from "../../config/schema.ts";
import type { DenseOptimizer } from "../../backend/wasm/dense_trainer_types.ts";
import { FusedAdam, FusedMomentum } from "./fused_optimizer.ts";

/**
 * A tfjs optimizer: Adam with the configured betas and epsilon, or SGD with momentum. Adam and momentum
 * are the fused stand-ins for tf.train.adam / tf.train.momentum (fused_optimizer.ts): the same steps to
 * the bit and the same saved slots, in one pass per weight on wasm (tfjs ops elsewhere).
 */
export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  if (config.name === "adam") {
    const { lr: learningRate, beta1, beta2, epsilon } = config;
    return new FusedAdam({ learningRate, beta1, beta2, epsilon });
  }
  // Plain SGD when momentum is 0: a momentum optimizer would still keep (and update) an accumulator per weight.
  return config.momentum > 0
    ? new FusedMomentum({ learningRate: config.lr, momentum: config.momentum })
    : tf.train.sgd(config.lr);
}

/** The same optimizer described for the fused dense engine. */
export function denseOptimizer(config: OptimizerConfig): DenseOptimizer {
  return config.name === "adam"
    ? { name: "adam", lr: config.lr, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon }
    : { name: "sgd", lr: config.lr, momentum: config.momentum };
}

/** Sets the rate of a tfjs optimizer made by createOptimizer for the coming steps. */
export function setOptimizerLearningRate(opt: tf.Optimizer, lr: number): void {
  if (opt instanceof FusedAdam || opt instanceof FusedMomentum || opt instanceof tf.SGDOptimizer) {
    opt.setLearningRate(lr);
    return;
  }
  throw new Error(
    `setOptimizerLearningRate: ${opt.getClassName()} is not an optimizer createOptimizer makes`,
  );
}
