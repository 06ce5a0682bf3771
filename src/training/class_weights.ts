/**
 * Per-class loss weights from `training.class_weights`, for imbalanced data. "balanced" is sklearn's
 * compute_class_weight: n / (k * count_c), so each class carries the same total weight.
 */
import type { TrainingConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";

export type ClassWeightSetting = TrainingConfig["class_weights"];

/**
 * Weight per class index, or null for "none" (unweighted). A class absent from `y` gets weight 1 under
 * "balanced" (it has no rows to weigh); a class missing from a map gets 1, as sklearn.
 */
export function classWeights(
  y: Int32Array,
  numClasses: number,
  setting: ClassWeightSetting,
  classNames: readonly string[],
): Float32Array | null {
  if (classNames.length !== numClasses) {
    throw new RangeError(`classNames has ${classNames.length} names for ${numClasses} classes`);
  }
  if (setting === "none") return null;
  const weights = new Float32Array(numClasses).fill(1);
  if (setting === "balanced") {
    const counts = new Float64Array(numClasses);
    for (let i = 0; i < y.length; i++) {
      if (!(y[i] >= 0 && y[i] < numClasses)) {
        throw new RangeError(`y[${i}] is ${y[i]}, expected a class index in [0, ${numClasses})`);
      }
      counts[y[i]]++;
    }
    for (let c = 0; c < numClasses; c++) if (counts[c] > 0) weights[c] = y.length / (numClasses * counts[c]);
    return weights;
  }
  for (const [name, weight] of Object.entries(setting)) {
    const c = classNames.indexOf(name);
    if (c < 0) {
      throw new MmmlError(
        "config_invalid",
        `training.class_weights: expected a class name (${
          classNames.map((n) => JSON.stringify(n)).join(", ")
        }), ` +
          `received unknown class ${JSON.stringify(name)}`,
      );
    }
    if (!(weight > 0 && Number.isFinite(weight))) {
      throw new MmmlError(
        "config_invalid",
        `training.class_weights.${name}: expected a positive number, received ${weight}`,
      );
    }
    weights[c] = weight;
  }
  return weights;
}
