/**
 * A pthread worker for the threaded tfjs wasm build (see wasm_threads.ts). Emscripten ships its worker
 * as a string that tfjs starts from a blob URL; Deno's node:worker_threads needs a real file, so this
 * file runs that same string. Two shims make it work under Deno: its node prelude assigns `location`,
 * which is a read-only accessor in a Deno worker, so those writes are dropped; and `importScripts`
 * evaluates the factory with the same scoped `require`/`global` that the main thread uses, so the
 * factory never overwrites this worker's globals.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import workerJs from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js";

const nodeRequire = createRequire(import.meta.url);
const globals = globalThis as unknown as Record<string, unknown>;

/** Evaluates Emscripten's factory script in a function scope and returns its factory. */
function importFactory(path: string): void {
  const source = readFileSync(path, "utf8");
  const make = new Function(
    "require",
    "global",
    "__filename",
    "__dirname",
    "module",
    "exports",
    `${source}\nreturn WasmBackendModuleThreadedSimd;\n//# sourceURL=${path}`,
  );
  globals.WasmBackendModuleThreadedSimd = make(nodeRequire, {}, path, path.replace(/\/[^/]*$/, ""));
}

// Writes that Deno forbids (location) or that would replace this shim (importScripts) are dropped.
const scoped = new Proxy(globalThis, {
  set(target, key, value) {
    if (key !== "location" && key !== "self" && key !== "importScripts") Reflect.set(target, key, value);
    return true;
  },
});
globals.self = globalThis;
globals.importScripts = importFactory;

// The worker string holds "\n" escapes that became real newlines inside a template literal.
const contents = (workerJs as { wasmWorkerContents: string }).wasmWorkerContents.replace(/\n/g, "\\n");
new Function("require", "global", "__filename", contents)(nodeRequire, scoped, import.meta.filename);
