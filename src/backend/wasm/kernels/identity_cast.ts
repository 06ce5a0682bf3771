/**
 * Identity and Cast for the wasm backend. The built-ins copy the tensor even when nothing changes;
 * an EfficientNet-B0 step calls Identity ~1,900 times (optimizer and layer bookkeeping), ~6% of the
 * step. Tensors are immutable, so these share the input's buffer (as the cpu backend's Identity does)
 * and only copy when the dtype really changes.
 *
 * The built-in Cast also stores a float cast to bool as the float's low byte (-2 became 254, 0.5 became
 * 0), so casts to bool are done here as x != 0.
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelArgs, kernelFunc, wasmBackend } from "./wasm_calls.ts";

function share(x: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  wasmBackend(backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function identityKernel(builtIn: tf.KernelConfig) {
  return ({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype === "string") {
      return builtIn.kernelFunc({ inputs, attrs, backend: backend as tf.KernelBackend }) as tf.TensorInfo;
    }
    return share(x, backend);
  };
}

function castKernel(builtIn: tf.KernelConfig) {
  return ({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo => {
    const { x } = inputs as { x: tf.TensorInfo };
    const dtype = attrs.dtype as tf.DataType;
    if (dtype === x.dtype && dtype !== "string") return share(x, backend);
    if (dtype !== "bool" || (x.dtype !== "float32" && x.dtype !== "int32")) {
      return builtIn.kernelFunc({ inputs, attrs, backend: backend as tf.KernelBackend }) as tf.TensorInfo;
    }
    const wasm = wasmBackend(backend);
    const out = wasm.makeOutput(x.shape, "bool");
    const src = wasm.typedArrayFromHeap(x), dst = wasm.typedArrayFromHeap(out);
    for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
    return out;
  };
}

/** Identity sharing its input's buffer; the built-in (kept) copies strings. */
export function identityConfig(builtIn: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName: "wasm",
    setupFunc: builtIn.setupFunc,
    kernelFunc: kernelFunc(identityKernel(builtIn)),
  };
}

/** Cast sharing the buffer when the dtype stays and casting to bool as x != 0; otherwise the built-in. */
export function castConfig(builtIn: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Cast,
    backendName: "wasm",
    setupFunc: builtIn.setupFunc,
    kernelFunc: kernelFunc(castKernel(builtIn)),
  };
}
