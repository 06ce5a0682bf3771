/**
 * MmmlBatchNormTrain and its gradient kernel (backend/batch_norm_op.ts) on wasm: one kernel forward and
 * one backward (src/backend/wasm/bn_kernel.c), for channels that are a multiple of 4.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { wasmBackend } from "./wasm_calls.ts";
import { heapModule } from "./wasm_memory.ts";

import { BN_TRAIN, BN_TRAIN_GRAD } from "../../batch_norm_op.ts";

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

/** The kernels to register on the wasm backend (register_kernels.ts). */
export const BATCH_NORM_TRAIN_KERNELS = [forwardKernel, backwardKernel] as const;

/** Whether the wasm kernels take `x`: bn_kernel loaded and channels a multiple of 4. */
export function wasmBatchNormTakes(x: tf.Tensor): boolean {
  const c = x.shape[x.shape.length - 1];
  return c % 4 === 0 && heapModule<BnModule>(tf.backend() as BackendWasm, "bn_kernel") !== null;
}
