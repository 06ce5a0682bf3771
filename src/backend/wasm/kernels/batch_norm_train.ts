/**
 * Batch normalisation in training mode as one wasm kernel forward and one backward (src/backend/wasm/bn_kernel.c),
 * for the BatchNormalization layers of the vision models (models/vision_layers.ts installs it). tfjs-layers
 * computes it as tf.moments + FusedBatchNorm, ~10 kernels forward and ~25 backward per layer.
 *
 * MmmlBatchNormTrain: inputs {x, gamma, beta}, attrs {epsilon}; outputs [y, mean, variance] over every
 * axis but the last (the biased variance, as tf.moments). Its gradient (registered here) gives dx, dgamma
 * and dbeta through MmmlBatchNormTrainGrad; mean and variance only feed the moving averages, which take no
 * gradient, so their incoming gradients are zeros and are not read.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { wasmBackend } from "./wasm_calls.ts";
import { heapModule } from "./wasm_memory.ts";

export const BN_TRAIN = "MmmlBatchNormTrain";
export const BN_TRAIN_GRAD = "MmmlBatchNormTrainGrad";

interface BnModule {
  bn_forward(
    x: number,
    gamma: number,
    beta: number,
    y: number,
    mean: number,
    v: number,
    rows: number,
    c: number,
    eps: number,
  ): void;
  bn_backward(
    x: number,
    dy: number,
    gamma: number,
    mean: number,
    v: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    c: number,
    eps: number,
  ): void;
}

function bnModule(backend: BackendWasm): BnModule {
  const module = heapModule<BnModule>(backend, "bn_kernel");
  if (module === null) throw new Error(`${BN_TRAIN}: bn_kernel.wasm cannot run on this wasm backend`);
  return module;
}

function channelsOf(x: tf.TensorInfo): { rows: number; c: number } {
  const c = x.shape[x.shape.length - 1];
  return { rows: tf.util.sizeFromShape(x.shape) / c, c };
}

const forwardKernel: tf.KernelConfig = {
  kernelName: BN_TRAIN,
  backendName: "wasm",
  kernelFunc: ({ inputs, attrs, backend: b }) => {
    const backend = wasmBackend(b);
    const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
    const { rows, c } = channelsOf(x);
    const y = backend.makeOutput(x.shape, "float32");
    const mean = backend.makeOutput([c], "float32"), variance = backend.makeOutput([c], "float32");
    const at = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
    bnModule(backend).bn_forward(
      at(x),
      at(gamma),
      at(beta),
      at(y),
      at(mean),
      at(variance),
      rows,
      c,
      attrs!.epsilon as number,
    );
    return [y, mean, variance];
  },
};

const backwardKernel: tf.KernelConfig = {
  kernelName: BN_TRAIN_GRAD,
  backendName: "wasm",
  kernelFunc: ({ inputs, attrs, backend: b }) => {
    const backend = wasmBackend(b);
    const { x, dy, gamma, mean, variance } = inputs as Record<string, tf.TensorInfo>;
    const { rows, c } = channelsOf(x);
    const dx = backend.makeOutput(x.shape, "float32");
    const dgamma = backend.makeOutput([c], "float32"), dbeta = backend.makeOutput([c], "float32");
    const at = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
    bnModule(backend).bn_backward(
      at(x),
      at(dy),
      at(gamma),
      at(mean),
      at(variance),
      at(dx),
      at(dgamma),
      at(dbeta),
      rows,
      c,
      attrs!.epsilon as number,
    );
    return [dx, dgamma, dbeta];
  },
};

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

/** The kernels to register on the wasm backend (wasm_kernels.ts) and the gradient to register once. */
export const BATCH_NORM_TRAIN_KERNELS = [forwardKernel, backwardKernel] as const;
export const BATCH_NORM_TRAIN_GRADIENT = gradient;

/** Whether batchNormTrain can run for `x` now: wasm backend, bn_kernel loaded, float32, channels % 4 == 0. */
export function batchNormTrainApplies(x: tf.Tensor): boolean {
  if (tf.getBackend() !== "wasm" || tf.getKernel(BN_TRAIN, "wasm") === undefined) return false;
  const c = x.shape[x.shape.length - 1];
  return x.dtype === "float32" && x.rank >= 2 && c % 4 === 0 &&
    heapModule<BnModule>(tf.backend() as BackendWasm, "bn_kernel") !== null;
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
