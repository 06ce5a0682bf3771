/**
 * Class probabilities of a tfjs model over an in-memory matrix, in chunks so memory stays bounded.
 */
import * as tf from "@tensorflow/tfjs";
import type { MmmlModel } from "./model.ts";

/**
 * Runs `x` ([rows, ...inputShape] flattened) through the model; returns [rows, numClasses] row-major.
 * Each chunk is read with `await data()`: a GPU backend (webgpu under Deno) cannot read synchronously.
 */
export async function predictProbs(
  model: MmmlModel,
  x: Float32Array,
  rows: number,
  chunk = 2048,
): Promise<Float32Array> {
  const shape = model.spec.inputShape;
  const width = shape.reduce((a, b) => a * b, 1);
  const k = model.spec.numClasses;
  const out = new Float32Array(rows * k);
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    const probs = tf.tidy(() => {
      const xb = tf.tensor(x.subarray(start * width, (start + n) * width), [n, ...shape]);
      return model.predict(xb);
    });
    try {
      out.set(await probs.data() as Float32Array, start * k);
    } finally {
      probs.dispose();
    }
  }
  return out;
}
