/**
 * The WebAssembly.Memory behind a tfjs wasm backend's heap, for modules of mmml's that import it and work
 * on tensors where they live (training/optimizers/fused_update_wasm.ts, backend/wasm/kernels/direct_conv.ts).
 */
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** The backend's memory, or null when it cannot be found (a build that hides it). */
export function backendMemory(backend: BackendWasm): WebAssembly.Memory | null {
  // The single-threaded builds export their memory; the threaded one creates it and keeps it here.
  const module = backend.wasm as unknown as {
    wasmMemory?: unknown;
    asm?: { memory?: unknown };
    HEAPU8: Uint8Array;
  };
  const memory = module.wasmMemory ?? module.asm?.memory;
  return memory instanceof WebAssembly.Memory && memory.buffer === module.HEAPU8.buffer ? memory : null;
}

/** Whether `memory` is a shared (threaded build) memory; an importing module must declare it shared. */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
}

const instances = new WeakMap<WebAssembly.Memory, Map<string, WebAssembly.Exports | null>>();
const codes = new Map<string, Uint8Array<ArrayBuffer> | null>();

function moduleCode(file: string): Uint8Array<ArrayBuffer> | null {
  if (!codes.has(file)) {
    try {
      codes.set(file, Deno.readFileSync(new URL(`../${file}`, import.meta.url)));
    } catch {
      codes.set(file, null);
    }
  }
  return codes.get(file)!;
}

/**
 * The exports of src/backend/wasm/NAME.wasm (NAME_shared.wasm on a shared memory) instantiated on `backend`'s
 * memory, once per memory; null where that cannot be done (memory not found, file missing, no wasm SIMD).
 */
export function heapModule<T>(backend: BackendWasm, name: string): T | null {
  const memory = backendMemory(backend);
  if (memory === null) return null;
  let byName = instances.get(memory);
  if (byName === undefined) instances.set(memory, byName = new Map());
  if (!byName.has(name)) {
    const code = moduleCode(isShared(memory) ? `${name}_shared.wasm` : `${name}.wasm`);
    byName.set(
      name,
      code !== null && WebAssembly.validate(code)
        ? new WebAssembly.Instance(new WebAssembly.Module(code), { env: { memory } }).exports
        : null,
    );
  }
  return byName.get(name) as T | null;
}
