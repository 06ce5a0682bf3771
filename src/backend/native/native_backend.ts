/**
 * The "native" TensorFlow.js backend: tensors live in JavaScript typed arrays (no wasm32 4 GiB ceiling)
 * and the heavy kernels run on oneDNN through Deno FFI (kernels/). It is the cpu backend's class
 * extended, with every cpu kernel registered for it, so the ops mmml does not route to oneDNN still run
 * (in JavaScript); `startProfile`/`takeProfile` show which those are and what they cost.
 */
import * as tf from "@tensorflow/tfjs";
import { registerBatchNormTrainGradient } from "../batch_norm_op.ts";
import { registerSwishGradient } from "../swish_op.ts";
import { check, type Dnnl, loadDnnl, outPointer, scratchpadAttr } from "./dnnl_lib.ts";
import { BATCH_NORM_KERNELS } from "./kernels/batch_norm.ts";
import { CONV_KERNELS } from "./kernels/conv.ts";
import { ELEMENTWISE_KERNELS, registerNativeGradients } from "./kernels/elementwise.ts";
import { POOL_KERNELS } from "./kernels/pool.ts";
import { SHAPE_KERNELS } from "./kernels/shape.ts";
import { type NativeKernel, type NativeKernelContext, profiling, record } from "./native_kernel.ts";
import { BufferPool } from "./buffer_pool.ts";
import { PrimitiveCache } from "./primitive.ts";

export const NATIVE_BACKEND = "native";

/** Every kernel mmml routes to oneDNN or writes for this backend. */
const NATIVE_KERNELS: readonly NativeKernel[] = [
  ...CONV_KERNELS,
  ...BATCH_NORM_KERNELS,
  ...ELEMENTWISE_KERNELS,
  ...POOL_KERNELS,
  ...SHAPE_KERNELS,
];

/** The cpu backend's storage and constructor, as far as this backend uses them. */
interface CpuBackend extends tf.KernelBackend {
  data: { get(dataId: object): { values?: unknown } | undefined; has(dataId: object): boolean };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: unknown): tf.TensorInfo;
  write(values: unknown, shape: number[], dtype: tf.DataType): object;
  readSync(dataId: object): tf.backend_util.BackendValues;
  disposeData(dataId: object, force?: boolean): boolean;
}
type CpuBackendClass = new () => CpuBackend;

function cpuBackendClass(): CpuBackendClass {
  const factory = tf.findBackendFactory("cpu");
  if (factory === null) throw new Error("native backend: tfjs's cpu backend is not registered");
  const instance = factory() as CpuBackend;
  const ctor = instance.constructor as CpuBackendClass;
  instance.dispose();
  return ctor;
}

function makeBackendClass(dnnl: Dnnl) {
  const Base = cpuBackendClass();
  return class NativeBackend extends Base implements NativeKernelContext {
    readonly dnnl = dnnl;
    readonly cache = new PrimitiveCache();
    private readonly postOps = new Map<number, Deno.PointerObject>();
    private readonly pool = new BufferPool();
    constructor() {
      super();
      // The cpu backend's one-time "install tfjs-node" advice is about itself, not this backend.
      (this as unknown as { firstUse: boolean }).firstUse = false;
    }
    values(t: tf.TensorInfo): Float32Array {
      return this.data.get(t.dataId)!.values as Float32Array;
    }
    output(shape: readonly number[]): { info: tf.TensorInfo; values: Float32Array } {
      const values = this.pool.take(tf.util.sizeFromShape(shape as number[]));
      return { info: this.makeTensorInfo([...shape], "float32", values), values };
    }
    override write(values: unknown, shape: number[], dtype: tf.DataType): object {
      this.pool.addReference(values);
      return super.write(values, shape, dtype);
    }
    override disposeData(dataId: object, force?: boolean): boolean {
      const values = this.data.get(dataId)?.values;
      const done = super.disposeData(dataId, force);
      if (!this.data.has(dataId)) this.pool.dropReference(values);
      return done;
    }
    /** Reads hand out a copy of a pooled buffer: the caller may keep it after the tensor is gone. */
    override readSync(dataId: object): tf.backend_util.BackendValues {
      return this.pool.detached(super.readSync(dataId));
    }
    allFloat(tensors: readonly (tf.TensorInfo | undefined)[]): boolean {
      return tensors.every((t) => t === undefined || t.dtype === "float32");
    }
    postOpsAttr(alg: number): Deno.PointerObject {
      let attr = this.postOps.get(alg);
      if (attr === undefined) {
        const s = dnnl.symbols;
        attr = scratchpadAttr(s);
        const ops = outPointer((o) => s.dnnl_post_ops_create(o), "post_ops_create");
        check(s.dnnl_post_ops_append_eltwise(ops, 1, alg, 0, 0), "post_ops_append_eltwise");
        check(s.dnnl_primitive_attr_set_post_ops(attr, ops), "primitive_attr_set_post_ops");
        this.postOps.set(alg, attr);
      }
      return attr;
    }
    override floatPrecision(): 32 {
      return 32;
    }
  };
}

let registered: { version: string; library: string } | null = null;

/** Wraps a native kernel so it falls back to the cpu kernel of the same name, and counts in a profile. */
function kernelConfig(k: NativeKernel, fallback: tf.KernelFunc | undefined): tf.KernelConfig {
  return {
    kernelName: k.kernelName,
    backendName: NATIVE_BACKEND,
    kernelFunc: (args) => {
      const t0 = profiling() ? performance.now() : 0;
      const ctx = args.backend as unknown as NativeKernelContext;
      let out = k.run(
        ctx,
        args.inputs as Record<string, tf.TensorInfo>,
        args.attrs as Record<string, unknown>,
      );
      const native = out !== null;
      if (out === null) {
        if (fallback === undefined) throw new Error(`native backend: no fallback for ${k.kernelName}`);
        out = fallback(args) as tf.TensorInfo | tf.TensorInfo[];
      }
      if (t0) record(k.kernelName, performance.now() - t0, native);
      return out;
    },
  };
}

function timedCpuKernel(config: tf.KernelConfig): tf.KernelConfig {
  const fn = config.kernelFunc;
  return {
    ...config,
    backendName: NATIVE_BACKEND,
    kernelFunc: (args) => {
      if (!profiling()) return fn(args);
      const t0 = performance.now();
      const out = fn(args);
      record(config.kernelName, performance.now() - t0, false);
      return out;
    },
  };
}

/**
 * Loads oneDNN and registers the "native" backend with its kernels (once per process). Throws
 * backend_unavailable, naming what is missing, when the library cannot be loaded.
 */
export function registerNativeBackend(): { version: string; library: string; kernels: string[] } {
  const kernels = NATIVE_KERNELS.map((k) => k.kernelName).sort();
  if (registered) return { ...registered, kernels };
  const dnnl = loadDnnl();
  const Backend = makeBackendClass(dnnl);
  tf.registerBackend(NATIVE_BACKEND, () => new Backend(), 0);
  const own = new Set(kernels);
  for (const config of tf.getKernelsForBackend("cpu")) {
    if (!own.has(config.kernelName)) tf.registerKernel(timedCpuKernel(config));
  }
  for (const k of NATIVE_KERNELS) {
    tf.registerKernel(kernelConfig(k, tf.getKernel(k.kernelName, "cpu")?.kernelFunc));
  }
  registerBatchNormTrainGradient();
  registerSwishGradient();
  registerNativeGradients(NATIVE_BACKEND);
  registered = { version: dnnl.version, library: dnnl.path };
  return { ...registered, kernels };
}

/**
 * Registers the backend (see registerNativeBackend) and sets its threads: `threads`, or with 0 OpenMP's
 * default (every core); returns what a run records: oneDNN's version, the library, threads, kernels.
 */
export function activateNative(
  threads: number,
): Record<string, unknown> & { onednn: string; threads: number } {
  const { version, library, kernels } = registerNativeBackend();
  const dnnl = loadDnnl();
  dnnl.setThreads(threads > 0 ? threads : dnnl.defaultThreads);
  return { onednn: version, library, threads: dnnl.threads(), kernels };
}
