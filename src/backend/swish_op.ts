/**
 * Swish (SiLU, x * sigmoid(x)) as one op forward and one backward, for EfficientNet's activation layers
 * (models/vision_layers.ts installs it where the backend has the kernels: native, on oneDNN's eltwise
 * swish). tfjs-layers computes it as mul(sigmoid(mul(x, 1)), x): three kernels forward and six backward,
 * each a pass over a whole activation map, 49 times per EfficientNet-B0 step.
 *
 * MmmlSwish: inputs {x}; output x * sigmoid(x). MmmlSwishGrad: inputs {dy, x}; output
 * dy * (s + x * s * (1 - s)) with s = sigmoid(x).
 */
import * as tf from "@tensorflow/tfjs";

export const SWISH = "MmmlSwish";
export const SWISH_GRAD = "MmmlSwishGrad";

/** Registers the op's gradient (gradients are global, not per backend); idempotent. */
export function registerSwishGradient(): void {
  if (tf.getGradient(SWISH) !== undefined) return;
  tf.registerGradient({
    kernelName: SWISH,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({
      x: () => tf.engine().runKernel(SWISH_GRAD, { dy: Array.isArray(dy) ? dy[0] : dy, x }) as tf.Tensor,
    }),
  });
}

/** Whether swish can run as one op for `x` now: the current backend has both kernels, x is float32. */
export function swishApplies(x: tf.Tensor): boolean {
  const backend = tf.getBackend();
  return x.dtype === "float32" && tf.getKernel(SWISH, backend) !== undefined &&
    tf.getKernel(SWISH_GRAD, backend) !== undefined && tf.getGradient(SWISH) !== undefined;
}

/** x * sigmoid(x) as one op (check swishApplies first). */
export function swish(x: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(SWISH, { x }) as tf.Tensor;
}
