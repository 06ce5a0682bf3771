/**
 * The one place that picks the TensorFlow.js backend. Each backend is a row of BACKENDS: how to probe
 * it without switching to it, how to switch to it, and how to install it where it is missing.
 *
 * `auto` takes the first of AUTO_ORDER that can run: tensorflow (TensorFlow's C library, when the host
 * installed tfjs-node-gpu or tfjs-node), webgpu on a real GPU adapter, native (oneDNN, where its library
 * loads), wasm, cpu. A CPU WebGPU adapter (lavapipe) counts as available but is passed over: the CPU
 * engines are several times faster on the same cores.
 * A backend asked for by name that cannot run is a `backend_unavailable` error naming what is missing
 * and how to install it; nothing falls back silently. The choice and its reason are returned for the
 * caller to log and store with the run.
 */
import * as tf from "@tensorflow/tfjs";
import { BackendWasm, getThreadsCount, setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { BACKEND_NAMES, type BackendName } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  type BackendProbe,
  firstSentence,
  type ProbeFindings,
  probeNative,
  probeTensorflow,
  probeWasm,
  probeWebGpuBackend,
} from "./probes.ts";
import { loadTensorflowBackend, TENSORFLOW_INSTALL_HINT } from "./tensorflow.ts";
import { DNNL_INSTALL_HINT } from "./native/dnnl_lib.ts";
import { activateNative } from "./native/native_backend.ts";
import { registerWasmKernels } from "./wasm/register_kernels.ts";
import { checkThreadCount, loadThreadedWasm } from "./wasm/threads.ts";
import {
  guardSyncReads,
  loadWebGpuModule,
  probeWebGpu,
  WEBGPU_INSTALL_HINT,
  type WebGpuProbe,
} from "./webgpu.ts";

/** A backend that really runs (not "auto"). */
export type ConcreteBackend = Exclude<BackendName, "auto">;

/** What useBackend chose, why, and facts worth storing with a run (threads, adapter, package). */
export interface BackendChoice {
  name: ConcreteBackend;
  reason: string;
  details: Record<string, unknown>;
}

export interface UseBackendOptions {
  /**
   * CPU threads. wasm: more than 1 starts the threaded build (see wasm_threads.ts); unset is 1. native:
   * OpenMP threads; unset is every core.
   */
  threads?: number;
  logger?: Logger;
}

/** `auto` tries these in order. */
export const AUTO_ORDER = [
  "tensorflow",
  "webgpu",
  "native",
  "wasm",
  "cpu",
] as const satisfies readonly ConcreteBackend[];

/** Backends that take training.threads (native: OpenMP threads, all cores when not given). */
const THREADED: readonly BackendName[] = ["native", "wasm", "auto"];

/** tfjs-backend-wasm's own registration priority, kept when the threaded build replaces it. */
const WASM_PRIORITY = 2;
// Saved before anything replaces it, so a process can go back from threads to the stock build.
const STOCK_WASM_FACTORY = tf.findBackendFactory("wasm");
/** Threads of the registered wasm build: 1 is tfjs's own (single-threaded) factory. */
let wasmThreads = 1;
let wasmPathsSet = false;

/** Points tfjs at its .wasm files next to the package's entry point (also inside a compiled binary). */
function ensureWasmPaths(): void {
  if (wasmPathsSet) return;
  const entry = new URL(import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
  setWasmPaths(new URL(".", entry).pathname);
  wasmPathsSet = true;
}

async function switchTo(name: ConcreteBackend): Promise<void> {
  if (!(await tf.setBackend(name))) {
    throw new MmmlError(
      "backend_unavailable",
      `The ${name} backend failed to initialise (tf.setBackend returned false)`,
    );
  }
  await tf.ready();
}

/** Registers the wasm build with `threads` threads as "wasm" (tensors on the previous build are lost). */
async function registerWasmBuild(threads: number): Promise<void> {
  if (threads === wasmThreads) return;
  const factory = threads === 1 ? STOCK_WASM_FACTORY : await threadedFactory(threads);
  if (tf.findBackendFactory("wasm") !== null) tf.removeBackend("wasm");
  setThreadsCount(threads);
  tf.registerBackend("wasm", factory, WASM_PRIORITY);
  wasmThreads = threads;
}

async function threadedFactory(threads: number): Promise<() => BackendWasm> {
  const module = await loadThreadedWasm(threads);
  return () => new BackendWasm(module);
}

async function activateWasm(threads: number): Promise<Record<string, unknown>> {
  ensureWasmPaths();
  await registerWasmBuild(threads);
  await switchTo("wasm");
  const { registered } = registerWasmKernels();
  const actual = getThreadsCount();
  if (actual !== threads) {
    throw new MmmlError("backend_unavailable", `wasm was asked for ${threads} threads but runs ${actual}`);
  }
  return { threads: actual, kernels: registered };
}

async function activateWebGpu(probe?: WebGpuProbe): Promise<Record<string, unknown>> {
  const found = probe ?? await probeWebGpu();
  if (!found.available) {
    throw new MmmlError("backend_unavailable", `The webgpu backend is not available: ${found.reason}`);
  }
  await loadWebGpuModule();
  await switchTo("webgpu");
  guardSyncReads(tf.backend() as unknown as { readSync(dataId: unknown): unknown });
  return { adapter: found.adapter };
}

async function activateTensorflow(): Promise<Record<string, unknown>> {
  const loaded = await loadTensorflowBackend();
  await switchTo("tensorflow");
  return { ...loaded };
}

interface BackendEntry {
  /** Installs or enables the backend where it is missing. */
  install: string;
  activate(threads: number): Promise<Record<string, unknown>>;
  /** Checks the backend can run, without switching to it (tfjs-node is the exception: see probe). */
  probe(): Promise<ProbeFindings>;
}

/** Every concrete backend: how to switch to it and how to get it. */
export const BACKENDS = Object.freeze(
  {
    tensorflow: { install: TENSORFLOW_INSTALL_HINT, activate: activateTensorflow, probe: probeTensorflow },
    webgpu: {
      install: `${WEBGPU_INSTALL_HINT}; the tfjs side is the npm package @tensorflow/tfjs-backend-webgpu`,
      activate: () => activateWebGpu(),
      probe: probeWebGpuBackend,
    },
    native: {
      install: DNNL_INSTALL_HINT,
      activate: async (threads: number) => {
        const details = activateNative(threads);
        await switchTo("native");
        return details;
      },
      probe: probeNative,
    },
    wasm: {
      install: "nothing to install: @tensorflow/tfjs-backend-wasm is a dependency (run `deno install`)",
      activate: activateWasm,
      probe: probeWasm,
    },
    cpu: {
      install: "nothing to install: the pure-JavaScript backend ships with @tensorflow/tfjs",
      activate: async () => (await switchTo("cpu"), {}),
      probe: () => Promise.resolve({ available: true, auto: true, reason: "pure JavaScript", details: {} }),
    },
  } as const satisfies Record<ConcreteBackend, BackendEntry>,
);

/**
 * Probes every backend in AUTO_ORDER (for doctor). It does not change the current backend, except that
 * importing tfjs-node, where installed, makes "tensorflow" current.
 */
export async function probeBackends(): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  for (const name of AUTO_ORDER) {
    const probe = await BACKENDS[name].probe();
    out.push({ name, ...probe, ...(probe.available ? {} : { install: BACKENDS[name].install }) });
  }
  return out;
}

/**
 * Initialises and activates a backend; returns what was chosen and why. `threads` > 1 needs wasm (or
 * auto choosing wasm); any other backend asked for with threads is a usage error.
 */
export async function useBackend(
  requested: BackendName = "wasm",
  { threads: asked, logger }: UseBackendOptions = {},
): Promise<BackendChoice> {
  if (!(BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw new MmmlError(
      "usage",
      `training.backend: expected one of ${BACKEND_NAMES.join("|")}, received ${JSON.stringify(requested)}`,
    );
  }
  const threads = asked ?? 0;
  checkThreadCount(asked ?? 1);
  if (threads > 1 && !THREADED.includes(requested)) {
    throw new MmmlError(
      "usage",
      `training.threads applies to the native and wasm backends only; received threads ${threads} with backend ${requested}`,
    );
  }
  if (requested === "auto") return await chooseAuto(threads, logger);
  try {
    const details = await BACKENDS[requested].activate(threads || (requested === "wasm" ? 1 : 0));
    const reason = requested === "webgpu" && isCpuAdapterDetails(details)
      ? "requested (the WebGPU adapter is a CPU driver: expect it to be slower than wasm)"
      : "requested";
    if (reason !== "requested") logger?.warn(`webgpu: ${reason}`, details);
    return { name: requested, reason, details };
  } catch (err) {
    throw unavailable(requested, err);
  }
}

function isCpuAdapterDetails(details: Record<string, unknown>): boolean {
  return (details.adapter as { cpu?: boolean } | undefined)?.cpu === true;
}

/** A backend_unavailable error that says what is missing and how to install it, whatever failed. */
function unavailable(name: ConcreteBackend, err: unknown): MmmlError {
  if (err instanceof MmmlError && err.code !== "backend_unavailable") return err;
  const msg = (err as Error)?.message ?? String(err);
  const base = msg.startsWith(`The ${name} backend`) ? msg : `The ${name} backend is not available: ${msg}`;
  const text = base.includes(". To install: ")
    ? base
    : `${base.replace(/\.$/, "")}. To install: ${BACKENDS[name].install}`;
  return new MmmlError("backend_unavailable", text, { cause: err });
}

async function chooseAuto(threads: number, logger?: Logger): Promise<BackendChoice> {
  const passed: string[] = [];
  for (const name of AUTO_ORDER) {
    let details: Record<string, unknown>;
    let why: string;
    try {
      if (name === "webgpu") {
        const probe = await probeWebGpu();
        if (!probe.available || probe.adapter?.cpu) {
          passed.push(`webgpu: ${probe.reason}`);
          continue;
        }
        details = await activateWebGpu(probe);
        why = probe.reason;
      } else {
        details = await BACKENDS[name].activate(
          name === "native" ? threads : name === "wasm" ? threads || 1 : 1,
        );
        why = name === "tensorflow"
          ? `loaded ${details.package}`
          : name === "native"
          ? `oneDNN ${details.onednn} on ${details.threads} threads`
          : name === "wasm"
          ? "the CPU engine"
          : "last resort";
      }
    } catch (err) {
      // Threads were asked for explicitly: failing to start them is an error, not a reason to go on.
      if (name === "wasm" && threads > 1) throw unavailable(name, err);
      passed.push(`${name}: ${firstSentence(err)}`);
      continue;
    }
    if (threads > 1 && name !== "wasm" && name !== "native") {
      logger?.warn(`training.threads=${threads} applies to native and wasm only; auto chose ${name}`);
      details = { ...details, threads_ignored: threads };
    }
    const skipped = passed.length ? ` (passed over ${passed.join("; ")})` : "";
    return { name, reason: `auto: ${why}${skipped}`, details };
  }
  throw new MmmlError("backend_unavailable", `No backend could start: ${passed.join("; ")}`);
}
