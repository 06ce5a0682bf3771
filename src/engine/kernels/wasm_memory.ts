/**
 * The WebAssembly.Memory behind a tfjs wasm backend's heap, for modules of mmml's that import it and work
 * on tensors where they live (training/fused_update_wasm.ts, engine/kernels/direct_conv.ts).
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
