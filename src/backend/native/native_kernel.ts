/**
 * What a native kernel sees (the backend, as NativeKernelContext) and how one is declared. A kernel
 * returns null to hand the call to the cpu backend's kernel of the same name (a layout or dtype it does
 * not take); the backend registers that fallback. An optional profile counts every kernel's calls and
 * milliseconds, native or not, so a training step's time can be laid out per op.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Dnnl } from "./dnnl_lib.ts";
import type { PrimitiveCache } from "./primitive.ts";

/** The native backend as its kernels use it. */
export interface NativeKernelContext {
  readonly dnnl: Dnnl;
  readonly cache: PrimitiveCache;
  /** A float32 tensor's values (the array itself, not a copy). */
  values(t: tf.TensorInfo): Float32Array;
  /** A new float32 tensor of `shape` and its values to fill. */
  output(shape: readonly number[]): { info: tf.TensorInfo; values: Float32Array };
  /** Whether every given tensor (undefined ones skipped) is float32. */
  allFloat(tensors: readonly (tf.TensorInfo | undefined)[]): boolean;
  /** A primitive attribute with one eltwise post-op (user scratchpad, as every primitive). */
  postOpsAttr(alg: number): Deno.PointerObject;
}

export type NativeKernelFunc = (
  ctx: NativeKernelContext,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown>,
) => tf.TensorInfo | tf.TensorInfo[] | null;

export interface NativeKernel {
  kernelName: string;
  run: NativeKernelFunc;
}

export function nativeKernel(kernelName: string, run: NativeKernelFunc): NativeKernel {
  return { kernelName, run };
}

/** Per-kernel calls and milliseconds while a profile is on. */
export interface KernelProfile {
  [kernel: string]: { calls: number; ms: number; native: number };
}

let profile: KernelProfile | null = null;

/** Starts counting every kernel the native backend runs (until takeProfile). */
export function startProfile(): void {
  profile = {};
}

/** Stops counting and returns what was counted (empty when no profile was started). */
export function takeProfile(): KernelProfile {
  const out = profile ?? {};
  profile = null;
  return out;
}

/** Whether a profile is on (kernels then time themselves). */
export function profiling(): boolean {
  return profile !== null;
}

/** Adds one call of `kernel` taking `ms`; `native` says whether it ran on oneDNN or fell back. */
export function record(kernel: string, ms: number, native: boolean): void {
  if (profile === null) return;
  const entry = profile[kernel] ??= { calls: 0, ms: 0, native: 0 };
  entry.calls++;
  entry.ms += ms;
  if (native) entry.native++;
}
