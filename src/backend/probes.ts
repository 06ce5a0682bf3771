/**
 * Probes for `mmml doctor`: can each backend run here, on what, and why not. A probe does not switch
 * tfjs to the backend (importing tfjs-node, where installed, is the exception: that package makes
 * "tensorflow" current as it loads). backend.ts adds each backend's install hint.
 */
import * as tf from "@tensorflow/tfjs";
import { MmmlError } from "../errors.ts";
import { activateNative } from "./native/native_backend.ts";
import { loadTensorflowBackend } from "./tensorflow.ts";
import { loadThreadedWasm, WASM_MAX_THREADS } from "./wasm/threads.ts";
import { loadWebGpuModule, probeWebGpu } from "./webgpu.ts";

/** What doctor reports for one backend. */
export interface BackendProbe {
  name: "tensorflow" | "webgpu" | "native" | "wasm" | "cpu";
  available: boolean;
  /** Whether `auto` would take it (a CPU WebGPU adapter is available but not taken). */
  auto: boolean;
  /** One sentence: what it runs on, or why it cannot run. */
  reason: string;
  /** How to install it; present when it is unavailable. */
  install?: string;
  details: Record<string, unknown>;
}

/** A probe's findings, before backend.ts adds the name and install hint. */
export type ProbeFindings = Omit<BackendProbe, "name" | "install">;

/** Finds and loads tfjs-node(-gpu); unavailable with the reason when neither loads. */
export async function probeTensorflow(): Promise<ProbeFindings> {
  try {
    const loaded = await loadTensorflowBackend();
    const where = loaded.gpu ? "on a CUDA GPU" : "on the CPU (it found no CUDA device)";
    return {
      available: true,
      auto: true,
      reason: `${loaded.package} loaded, running ${where}`,
      details: loaded,
    };
  } catch (err) {
    const details = err instanceof MmmlError ? err.details ?? {} : {};
    return { available: false, auto: false, reason: firstSentence(err), details };
  }
}

/** An adapter and the tfjs-backend-webgpu module; a CPU adapter is available but not for auto. */
export async function probeWebGpuBackend(): Promise<ProbeFindings> {
  const probe = await probeWebGpu();
  if (!probe.available) return { available: false, auto: false, reason: probe.reason, details: {} };
  try {
    await loadWebGpuModule();
  } catch (err) {
    return { available: false, auto: false, reason: firstSentence(err), details: { adapter: probe.adapter } };
  }
  return {
    available: true,
    auto: probe.adapter?.cpu !== true,
    reason: probe.reason,
    details: { adapter: probe.adapter },
  };
}

/** Loads oneDNN and registers the native backend (without switching to it). */
export function probeNative(): Promise<ProbeFindings> {
  try {
    const details = activateNative(0);
    return Promise.resolve({
      available: true,
      auto: true,
      reason:
        `oneDNN ${details.onednn} (${details.library}), ${details.threads} threads (every core unless training.threads)`,
      details,
    });
  } catch (err) {
    const details = err instanceof MmmlError ? err.details ?? {} : {};
    return Promise.resolve({ available: false, auto: false, reason: firstSentence(err), details });
  }
}

/** Compiles the .wasm binary tfjs would load, and starts (then stops) two threads. */
export async function probeWasm(): Promise<ProbeFindings> {
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT") === true;
  const file = simd ? "tfjs-backend-wasm-simd.wasm" : "tfjs-backend-wasm.wasm";
  const url = new URL(file, new URL(".", import.meta.resolve("@tensorflow/tfjs-backend-wasm")));
  try {
    await WebAssembly.compile(await Deno.readFile(url));
  } catch (err) {
    return {
      available: false,
      auto: false,
      reason: `cannot load ${url.pathname}: ${(err as Error).message}`,
      details: {},
    };
  }
  // Threads are checked by starting them: two threads for real, then stopped.
  let threads: Record<string, unknown>;
  try {
    const module = await loadThreadedWasm(2) as { PThread?: { terminateAllThreads(): void } };
    module.PThread?.terminateAllThreads();
    // More threads than cores only take turns; XNNPACK uses at most WASM_MAX_THREADS anyway.
    const cores = navigator.hardwareConcurrency;
    threads = { available: true, max: Math.min(WASM_MAX_THREADS, cores), cores };
  } catch (err) {
    threads = { available: false, reason: (err as Error).message };
  }
  return {
    available: true,
    auto: true,
    reason: `${file} (SIMD ${simd ? "on" : "off"})`,
    details: { simd, threads },
  };
}

/** The cause of a backend error without its install advice (doctor prints that separately). */
export function firstSentence(err: unknown): string {
  const msg = (err as Error)?.message ?? String(err);
  return msg.replace(/^The \w+ backend is not available: /, "").replace(/\. To install.*$/s, "").split(
    "\n",
  )[0];
}
