/**
 * Batch normalisation in training mode as one op forward and one backward, for the BatchNormalization
 * layers of the vision models (models/batch_norm_call.ts). tfjs-layers computes it as tf.moments +
 * FusedBatchNorm, ~10 kernels forward and ~25 backward per layer. Backends that have the two kernels
 * (wasm: wasm/kernels/batch_norm_train.ts; native: native/kernels/batch_norm.ts) register them and, where
 * they take only some inputs, a condition.
 *
 * MmmlBatchNormTrain: inputs {x, gamma, beta}, attrs {epsilon}; outputs [y, mean, variance] over every
 * axis but the last (the biased variance, as tf.moments). Its gradient (registered here) gives dx, dgamma
 * and dbeta through MmmlBatchNormTrainGrad; mean and variance only feed the moving averages, which take no
 * gradient, so their incoming gradients are zeros and are not read.
 */
import * as tf from "@tensorflow/tfjs";

export const BN_TRAIN = "MmmlBatchNormTrain";
export const BN_TRAIN_GRAD = "MmmlBatchNormTrainGrad";

const gradient: tf.GradConfig = {
  kernelName: BN_TRAIN,
  inputsToSave: ["x", "gamma"],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma, mean, variance] = saved;
    const dyTensor = Array.isArray(dy) ? dy[0] : dy;
    // One kernel gives all three: run it here, in the backward pass's scope (a closure runs inside its own
    // tidy, which would dispose the two gradients it does not return).
    const [dx, dgamma, dbeta] = tf.engine().runKernel(BN_TRAIN_GRAD, {
      x,
      dy: dyTensor,
      gamma,
      mean,
      variance,
    }, attrs) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};

/** Registers the op's gradient (gradients are global, not per backend); idempotent. */
export function registerBatchNormTrainGradient(): void {
  if (tf.getGradient(BN_TRAIN) === undefined) tf.registerGradient(gradient);
}

const conditions = new Map<string, (x: tf.Tensor) => boolean>();

/** Limits the op on `backend` to the inputs `condition` accepts. */
export function setBatchNormTrainCondition(backend: string, condition: (x: tf.Tensor) => boolean): void {
  conditions.set(backend, condition);
}

/** Whether batchNormTrain can run for `x` now: the current backend has the kernel and takes x. */
export function batchNormTrainApplies(x: tf.Tensor): boolean {
  const backend = tf.getBackend();
  if (tf.getKernel(BN_TRAIN, backend) === undefined || tf.getGradient(BN_TRAIN) === undefined) return false;
  return x.dtype === "float32" && x.rank >= 2 && (conditions.get(backend)?.(x) ?? true);
}

/** [y, batch mean, batch variance] of batch norm in training mode over every axis but the last. */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): tf.Tensor[] {
  return tf.engine().runKernel(BN_TRAIN, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
}
