/**
 * Kernels that make CNN training work, and fast, on the tfjs wasm backend (see shared/notes/engines.md).
 * Each is composed from the backend's own XNNPACK kernels or runs straight on its heap
 * (kernels/wasm_calls.ts); each file under kernels/ says what it replaces and what it measured.
 * - missing on wasm: Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput/Filter, UnsortedSegmentSum;
 * - slow on wasm: Conv2DBackpropInput, BatchMatMul/_FusedMatMul with a transposed operand or a batch,
 *   Conv2D/FusedConv2D on small feature maps, Tile, Sum/Mean over middle axes, MaxPoolGrad, Identity
 *   and same-dtype Cast (which copied);
 * - wrong on wasm: _FusedMatMul's bias on batched products, Cast to bool.
 * src/backend/choose.ts calls registerWasmKernels() once the wasm backend is up.
 */
import * as tf from "@tensorflow/tfjs";
// Imported for its side effect: the built-in wasm kernels must be registered before they are wrapped.
import "@tensorflow/tfjs-backend-wasm";
import { matMulKernelConfig } from "./kernels/batch_mat_mul.ts";
import { conv2dBackpropFilterKernel } from "./kernels/conv2d_backprop_filter.ts";
import { conv2dBackpropInputKernel } from "./kernels/conv2d_backprop_input.ts";
import { croppingConvConfig } from "./kernels/conv2d_forward.ts";
import { registerBatchNormTrainGradient, setBatchNormTrainCondition } from "../batch_norm_op.ts";
import { BATCH_NORM_TRAIN_KERNELS, wasmBatchNormTakes } from "./kernels/batch_norm_train.ts";
import { directConvConfig } from "./kernels/direct_conv.ts";
import { DEPTHWISE_BACKPROP_FILTER, DEPTHWISE_BACKPROP_INPUT } from "./kernels/depthwise_backprop.ts";
import { castConfig, identityConfig } from "./kernels/identity_cast.ts";
import { maxPoolGradConfig } from "./kernels/max_pool_grad.ts";
import { reduceBlockConfig } from "./kernels/reduce_block.ts";
import { tileKernelConfig } from "./kernels/tile.ts";
import { UNSORTED_SEGMENT_SUM } from "./kernels/unsorted_segment_sum.ts";

/** Marks configs registered here, so a second call (or a second copy of this module) wraps nothing twice. */
const MMML_KERNEL = Symbol.for("mmml.wasmKernel");

type MarkedConfig = tf.KernelConfig & { [MMML_KERNEL]?: true };

function builtIn(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, "wasm");
  if (config === undefined) throw new Error(`The wasm backend has no built-in '${name}' kernel to wrap`);
  return config;
}

function mmmlKernels(): tf.KernelConfig[] {
  const matMul = builtIn(tf.BatchMatMul);
  return [
    directConvConfig(conv2dBackpropFilterKernel(matMul)),
    directConvConfig(conv2dBackpropInputKernel(builtIn(tf.Conv2DBackpropInput), matMul)),
    DEPTHWISE_BACKPROP_INPUT,
    DEPTHWISE_BACKPROP_FILTER,
    matMulKernelConfig(matMul),
    matMulKernelConfig(builtIn(tf._FusedMatMul)),
    UNSORTED_SEGMENT_SUM,
    tileKernelConfig(builtIn(tf.Tile)),
    directConvConfig(croppingConvConfig(builtIn(tf.Conv2D))),
    directConvConfig(croppingConvConfig(builtIn(tf.FusedConv2D))),
    reduceBlockConfig(builtIn(tf.Sum)),
    reduceBlockConfig(builtIn(tf.Mean)),
    maxPoolGradConfig(builtIn(tf.MaxPoolGrad)),
    identityConfig(builtIn(tf.Identity)),
    castConfig(builtIn(tf.Cast)),
    ...BATCH_NORM_TRAIN_KERNELS,
  ];
}

/**
 * Registers mmml's kernels on the "wasm" backend, replacing built-in ones where they are slow.
 * Idempotent: later calls register nothing and report the same names.
 */
export function registerWasmKernels(): { registered: string[] } {
  const present = tf.getKernelsForBackend("wasm").filter((k) => (k as MarkedConfig)[MMML_KERNEL]);
  if (present.length > 0) return { registered: present.map((k) => k.kernelName).sort() };
  registerBatchNormTrainGradient();
  setBatchNormTrainCondition("wasm", wasmBatchNormTakes);
  const kernels = mmmlKernels();
  for (const config of kernels) {
    if (tf.getKernel(config.kernelName, "wasm") !== undefined) tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel({ ...config, [MMML_KERNEL]: true } as MarkedConfig);
  }
  return { registered: kernels.map((k) => k.kernelName).sort() };
}
