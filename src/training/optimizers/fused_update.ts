/**
 * Applies a fused update rule (fused_update_rules.ts) to one weight and its slots. On the wasm backend it
 * runs the SIMD module straight on the backend's heap: one pass that reads the gradient, the slots and
 * the weight and writes the new slots and weight, where tf.train.adam runs ~12 kernels that each
 * allocate and write a whole tensor. Elsewhere it runs tfjs ops in tfjs's own order.
 *
 * Writing in place is only safe for a buffer nothing else sees:
 * - A buffer can be shared: mmml's Identity and Cast kernels hand out the input's buffer, and
 *   tf.variable(t) / setWeights keep the caller's. A slot is rewritten in place only while the backend
 *   counts one reference to its buffer; otherwise it gets a fresh buffer.
 * - The weights always get a fresh buffer (a new tensor assigned to the variable, as tfjs's optimizers
 *   do): the wasm backend caches an XNNPACK operator per conv/matmul filter tensor id, with the filter's
 *   values packed inside, and a filter changed in place under the same id keeps computing with its old
 *   values. `weights: "in-place"` instead writes into the weight's buffer and drops those operators by
 *   re-registering the tensor id; it exists to measure the difference (bench/wasm_kernels_bench.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { backendMemory } from "../../backend/wasm/kernels/wasm_memory.ts";
import type { FusedRule } from "./fused_update_rules.ts";
import { type WasmUpdates, wasmUpdates } from "./fused_update_wasm.ts";

/** How the new weight values reach the variable on the wasm heap. */
export type WeightWrite = "fresh" | "in-place";

/** Which way an update ran: on the wasm heap, or as tfjs ops. */
export type UpdatePath = "heap" | "ops";

interface Heap {
  backend: BackendWasm;
  memory: WebAssembly.Memory;
  updates: WasmUpdates;
}

interface HeapEntry {
  id: number;
  memoryOffset: number;
}

type WasmInternals = BackendWasm & { dataIdMap: { get(dataId: object): HeapEntry | undefined } };

const heaps = new WeakMap<tf.KernelBackend, Heap | null>();

/** The wasm heap of `backend` with the SIMD updates bound to it, or null (another backend, no SIMD). */
function heapOf(backend: tf.KernelBackend): Heap | null {
  let heap = heaps.get(backend);
  if (heap !== undefined) return heap;
  heap = null;
  const b = backend as Partial<BackendWasm>;
  if (b.wasm !== undefined && b.dataIdMap !== undefined) {
    const memory = backendMemory(backend as BackendWasm);
    if (memory !== null) {
      const updates = wasmUpdates(memory);
      if (updates !== null) heap = { backend: backend as BackendWasm, memory, updates };
    }
  }
  heaps.set(backend, heap);
  return heap;
}

/**
 * Updates `state` (the rule's slots, then the weight) from `grad` with coefficients `c`, on the wasm heap
 * when the active backend is wasm and every tensor is float32 there; otherwise with tfjs ops.
 */
export function applyFusedUpdate<C>(
  rule: FusedRule<C>,
  grad: tf.Tensor,
  state: tf.Variable[],
  c: C,
  { weights = "fresh" }: { weights?: WeightWrite } = {},
): UpdatePath {
  const heap = heapOf(tf.backend());
  if (heap !== null && onHeap(heap.backend, [grad, ...state], grad.size)) {
    heapUpdate(heap, rule, grad, state, c, weights);
    return "heap";
  }
  tf.tidy(() => {
    const next = rule.ops(grad, state, c);
    state.forEach((s, k) => s.assign(next[k]));
  });
  return "ops";
}

function onHeap(backend: BackendWasm, tensors: tf.Tensor[], size: number): boolean {
  const map = (backend as WasmInternals).dataIdMap;
  return tensors.every((t) => t.dtype === "float32" && t.size === size && map.get(t.dataId) !== undefined);
}

function heapUpdate<C>(
  { backend, memory, updates }: Heap,
  rule: FusedRule<C>,
  grad: tf.Tensor,
  state: tf.Variable[],
  c: C,
  weights: WeightWrite,
): void {
  const count = grad.size;
  if (count === 0) return;
  const weight = state.length - 1;
  // Allocate first, take views after: a malloc that grows the heap detaches views made before it.
  const fresh = state.map((s, k) =>
    (k === weight && weights === "fresh") || backend.refCount(s.dataId) !== 1
      ? backend.makeOutput(s.shape, "float32")
      : null
  );
  const at = (dataId: tf.DataId) => backend.getMemoryOffset(dataId);
  const gAt = at(grad.dataId), stateAt = state.map((s) => at(s.dataId));
  const outAt = fresh.map((f, k) => f === null ? stateAt[k] : at(f.dataId));
  const vectorised = count - (count % 4);
  if (vectorised > 0) rule.simd(updates, gAt, stateAt, outAt, vectorised, c);
  if (vectorised < count) {
    const view = (offset: number) => new Float32Array(memory.buffer, offset, count);
    rule.scalar(view(gAt), stateAt.map(view), outAt.map(view), vectorised, count, c);
  }
  const engine = tf.engine();
  state.forEach((s, k) => {
    const out = fresh[k];
    if (out !== null) {
      const t = engine.makeTensorFromTensorInfo(out, backend);
      s.assign(t);
      t.dispose();
    } else if (k === weight) {
      // Changed under the same tensor id: drop the XNNPACK operators built from the old values.
      const entry = (backend as WasmInternals).dataIdMap.get(s.dataId)!;
      backend.wasm.tfjs.disposeData(entry.id);
      backend.wasm.tfjs.registerTensor(entry.id, count, entry.memoryOffset);
    }
  });
}
