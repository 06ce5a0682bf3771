/**
 * Multithreaded wasm for TensorFlow.js under Deno. tfjs-backend-wasm turns threads off whenever it sees
 * Node (Deno counts as Node), so this file starts the threaded SIMD build itself and hands the module
 * to backend.ts, which registers it as the "wasm" backend. Three things the stock start-up gets wrong
 * under Deno are fixed here:
 * - Emscripten starts each pthread worker from a blob URL; node:worker_threads needs a real file, so
 *   workers run wasm_threads_worker.ts (which also drops the worker's write to read-only `location`).
 * - The worker pool is hard-coded to 8 workers (8 V8 isolates); it is cut to the `threads - 1` that
 *   XNNPACK's pool uses (the calling thread is the last one).
 * - XNNPACK caps its pool at `os.cpus().length / 2` (it assumes two hyper-threads a core), so the
 *   factory's `os` reports enough CPUs for the count asked for; the count itself is the user's choice.
 * The factory runs in a function scope with its own `require`, `global` and `Worker`, so it cannot
 * replace Deno's global Worker the way its Node branch would.
 *
 * Threads pay off only for large kernels on idle cores: every XNNPACK call wakes the workers and waits
 * for them. Measured on a shared 2-core host (load 4-10): a 1024^3 matmul and a 3x3 conv on
 * [32,32,32,64] ran at ~60 GFLOP/s with two threads when the second core happened to be free (one
 * thread: 25-31), and at one-thread speed or below when it was not; the tabular MLP's model.fit at
 * batch 64 was 2-7x slower (3,000-5,400 samples/s against 9,300-23,000). Hence opt-in
 * (training.threads), never automatic.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker as NodeWorker } from "node:worker_threads";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { MmmlError } from "../../errors.ts";

/** The most threads XNNPACK uses in tfjs-backend-wasm 4.22 (max_num_threads in its backend.cc). */
export const WASM_MAX_THREADS = 8;

/** The Emscripten module BackendWasm is built on. */
export type WasmModule = ConstructorParameters<typeof BackendWasm>[0];

const FACTORY_FILE = "tfjs-backend-wasm-threaded-simd.js";
const WASM_FILE = "tfjs-backend-wasm-threaded-simd.wasm";
/** The pool size line in Emscripten's output; if a tfjs upgrade changes it, threads fail loudly. */
const POOL_LINE = "var pthreadPoolSize=8;";
const WORKER_URL = new URL("./threads_worker.ts", import.meta.url);

/** The folder holding the threaded build (the package's wasm-out/). */
export function wasmOutDir(): string {
  const entry = fileURLToPath(import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
  return join(dirname(entry), "..", "wasm-out");
}

/** Why this host cannot run threaded wasm, or null when it can. */
export function wasmThreadsUnavailableReason(dir: string = wasmOutDir()): string | null {
  if (typeof SharedArrayBuffer !== "function") return "SharedArrayBuffer is not available";
  // A module with one atomic instruction: validates only where wasm threads are supported.
  const atomic = new Uint8Array([
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    1,
    4,
    1,
    96,
    0,
    0,
    3,
    2,
    1,
    0,
    5,
    4,
    1,
    3,
    1,
    1,
    10,
    11,
    1,
    9,
    0,
    65,
    0,
    254,
    16,
    2,
    0,
    26,
    11,
  ]);
  if (!WebAssembly.validate(atomic)) return "this WebAssembly engine has no threads (atomics)";
  for (const file of [FACTORY_FILE, WASM_FILE]) {
    try {
      Deno.statSync(join(dir, file));
    } catch (err) {
      return `the threaded build ${join(dir, file)} cannot be read (${(err as Error).message})`;
    }
  }
  return null;
}

/** Checks a requested thread count: an integer in 1..WASM_MAX_THREADS. */
export function checkThreadCount(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > WASM_MAX_THREADS) {
    throw new MmmlError(
      "usage",
      `training.threads: expected an integer from 1 to ${WASM_MAX_THREADS} (XNNPACK's cap in tfjs-backend-wasm), ` +
        `received ${threads}`,
    );
  }
  return threads;
}

export interface LoadThreadedWasmOptions {
  /** How long the workers may take to load the module before it counts as a failure. */
  timeoutMs?: number;
  /** The folder of the threaded build; defaults to the installed package's wasm-out/. */
  dir?: string;
}

/**
 * Starts the threaded SIMD build with `threads - 1` pthread workers and XNNPACK sized for `threads`.
 * Fails with `backend_unavailable` naming the cause; it never falls back to one thread.
 */
export async function loadThreadedWasm(
  threads: number,
  { timeoutMs = 60_000, dir = wasmOutDir() }: LoadThreadedWasmOptions = {},
): Promise<WasmModule> {
  checkThreadCount(threads);
  const fail = (why: string, cause?: unknown) =>
    new MmmlError("backend_unavailable", `Cannot start wasm with ${threads} threads: ${why}`, { cause });
  const unavailable = wasmThreadsUnavailableReason(dir);
  if (unavailable) throw fail(unavailable);

  const factoryPath = join(dir, FACTORY_FILE);
  const source = readFileSync(factoryPath, "utf8");
  if (!source.includes(POOL_LINE)) {
    throw fail(`${factoryPath} no longer contains "${POOL_LINE}" (a tfjs-backend-wasm upgrade changed it)`);
  }

  let rejectLoad: (err: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (rejectLoad = reject));
  let ready = false;
  const started: NodeWorker[] = [];
  /** Emscripten rethrows worker errors from a listener, which would end the process; while loading, they fail the load instead. */
  class PthreadWorker extends NodeWorker {
    constructor() {
      super(WORKER_URL);
      started.push(this);
    }
    // deno-lint-ignore no-explicit-any
    override on(event: string | symbol, listener: (...args: any[]) => void): this {
      if (event !== "error") return super.on(event, listener);
      return super.on(event, (...args: unknown[]) => {
        if (ready) return listener(...args);
        try {
          listener(...args);
        } catch (err) {
          rejectLoad(fail(`a pthread worker failed while loading: ${(err as Error)?.message ?? err}`, err));
        }
      });
    }
  }

  const nodeRequire = createRequire(import.meta.url);
  const fakeOs = {
    ...nodeRequire("node:os"),
    cpus: () => Array.from({ length: 2 * threads }, () => cpus()[0]),
  };
  const scopedRequire = (id: string) => (id === "os" || id === "node:os" ? fakeOs : nodeRequire(id));
  const make = new Function(
    "require",
    "global",
    "Worker",
    "__filename",
    "__dirname",
    "module",
    "exports",
    // At least one worker: with an empty pool Emscripten never reports the pool as loaded.
    `${source.replace(POOL_LINE, `var pthreadPoolSize=${Math.max(threads - 1, 1)};`)}\n` +
      `return WasmBackendModuleThreadedSimd;\n//# sourceURL=${factoryPath}`,
  );
  const factory = make(scopedRequire, {}, PthreadWorker, factoryPath, dir) as (
    config: Record<string, unknown>,
  ) => Promise<EmscriptenModule>;

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail(`its workers did not load within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const module = await Promise.race([
      factory({
        locateFile: (path: string) =>
          path.endsWith(".worker.js")
            ? fileURLToPath(WORKER_URL)
            : join(dir, path.endsWith(".wasm") ? WASM_FILE : path),
        // Workers load the factory from this path (a string, not the blob tfjs would pass).
        mainScriptUrlOrBlob: factoryPath,
        onAbort: (what: unknown) => rejectLoad(fail(`the module aborted: ${what}`)),
      }),
      failed,
      timeout,
    ]);
    ready = true;
    bindTfjsCalls(module);
    return module as unknown as WasmModule;
  } catch (err) {
    for (const worker of started) worker.terminate();
    throw err instanceof MmmlError ? err : fail((err as Error)?.message ?? String(err), err);
  } finally {
    clearTimeout(timer);
  }
}

/** The part of an Emscripten module this file touches. */
interface EmscriptenModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => unknown;
  tfjs?: Record<string, unknown>;
}

/** The C entry points BackendWasm calls through `module.tfjs` (as tfjs's own init binds them). */
function bindTfjsCalls(module: EmscriptenModule): void {
  module.tfjs = {
    init: module.cwrap("init", null, []),
    initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: module.cwrap("get_threads_count", "number", []),
    registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: module.cwrap("dispose_data", null, ["number"]),
    dispose: module.cwrap("dispose", null, []),
  };
}
