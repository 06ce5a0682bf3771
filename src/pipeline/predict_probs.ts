/**
 * Class probabilities of a tfjs model over an in-memory matrix, in chunks so memory stays bounded.
 */
import * as tf from "@tensorflow/tfjs";
import type { MmmlModel } from "../models/model.ts";

/** Runs `x` ([rows, ...inputShape] flattened) through the model; returns [rows, numClasses] row-major. */
export function predictProbs(model: MmmlModel, x: Float32Array, rows: number, chunk = 2048): Float32Array {
  const shape = model.spec.inputShape;
  const width = shape.reduce((a, b) => a * b, 1);
  const k = model.spec.numClasses;
  const out = new Float32Array(rows * k);
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    const part = tf.tidy(() => {
      const xb = tf.tensor(x.subarray(start * width, (start + n) * width), [n, ...shape]);
      return model.predict(xb).dataSync() as Float32Array;
    });
    out.set(part, start * k);
  }
  return out;
}
