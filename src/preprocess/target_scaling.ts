/**
 * A regression target's standardisation, fitted on the training rows: the model learns (y - mean) / std,
 * which keeps the loss and the learning rate on one scale whatever the target's unit, and predictions
 * are turned back with y = z * std + mean (inside the exported ONNX graph, and by tfjs scoring).
 */
import type { PreprocessingConfig } from "../config/schema.ts";
import type { PreprocessorState } from "./preprocessor_state.ts";

export type TargetScaling = NonNullable<PreprocessorState["target"]>;

/** Mean and (population) std of the training targets; scale "none" keeps 0 and 1. */
export function fitTargetScaling(
  values: ArrayLike<number>,
  name: string,
  config: PreprocessingConfig["target"],
): TargetScaling {
  if (config.scale === "none" || values.length === 0) return { name, mean: 0, std: 1 };
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  const std = Math.sqrt(squares / values.length);
  return { name, mean, std: std > 0 ? std : 1 };
}

/**
 * Model outputs (standardised) back in the target's unit, rounded in float32 step by step as the exported
 * graph's Mul and Add do, so tfjs scoring and ONNX serving give the same values.
 */
export function unscaleTargets(z: ArrayLike<number>, scaling: TargetScaling): Float64Array {
  const f = Math.fround, std = f(scaling.std), mean = f(scaling.mean);
  return Float64Array.from({ length: z.length }, (_, i) => f(f(z[i] * std) + mean));
}
