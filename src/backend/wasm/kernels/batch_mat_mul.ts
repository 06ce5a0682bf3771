/**
 * BatchMatMul and _FusedMatMul for the wasm backend, routed onto the built-in kernels' fast path. The
 * built-ins hand a single, untransposed product to XNNPACK, but run everything else through a scalar
 * loop: a transposed operand was 6x-100x slower than transposing explicitly first (1024^3 with
 * transposeA: ~14 s against ~0.14 s), and a batch of products 15x slower than one product of the same
 * size. Dense-layer gradients take the transposed paths. So operands are transposed explicitly, a batch
 * against one shared matrix is folded into one taller product, and other batches are multiplied one
 * item at a time.
 *
 * The built-in _FusedMatMul also adds the bias wrongly when the batch is larger than one (rows after the
 * first of each item get the bias's last element); products are only ever handed over one at a time.
 */
import * as tf from "@tensorflow/tfjs";
import { wasmBackend, WasmCalls } from "./wasm_calls.ts";

/** Below this many multiply-adds an item, the built-in batched loop beats a kernel call per item. */
const MIN_ITEM_WORK = 32_768;

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

const outer = (t: tf.TensorInfo) => t.shape.slice(0, -2);

function matMulKernel(builtIn: tf.KernelConfig): tf.KernelFunc {
  const fused = builtIn.kernelName === tf._FusedMatMul;
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const batchA = tf.util.sizeFromShape(outer(a)), batchB = tf.util.sizeFromShape(outer(b));
    const batch = Math.max(batchA, batchB);
    const m = attrs.transposeA ? a.shape.at(-1)! : a.shape.at(-2)!;
    const k = attrs.transposeA ? a.shape.at(-2)! : a.shape.at(-1)!;
    const n = attrs.transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
    const sameOrShared = batchA === batchB || batchB === 1 || batchA === 1;
    const perItem = batch > 1 && sameOrShared && (fused || batchB === 1 || m * k * n >= MIN_ITEM_WORK);
    if (!attrs.transposeA && !attrs.transposeB && !perItem) return builtIn.kernelFunc(args);

    const ops = new WasmCalls(wasmBackend(backend));
    try {
      const plainA = attrs.transposeA ? ops.transpose(a, swapLastTwo(a.shape.length)) : a;
      const plainB = attrs.transposeB ? ops.transpose(b, swapLastTwo(b.shape.length)) : b;
      const plainAttrs = { ...attrs, transposeA: false, transposeB: false };
      const call = (x: tf.TensorInfo, y: tf.TensorInfo) =>
        ops.run(builtIn.kernelName, { ...inputs, a: x, b: y }, plainAttrs, builtIn);
      if (!perItem) return ops.keep(call(plainA, plainB));

      const outShape = [...tf.backend_util.assertAndGetBroadcastShape(outer(a), outer(b)), m, n];
      if (batchB === 1) { // one shared right-hand matrix: one product, batch folded into the rows
        const rows = call(ops.reshape(plainA, [1, batchA * m, k]), ops.reshape(plainB, [1, k, n]));
        return ops.keep(ops.reshape(rows, outShape));
      }
      const a3 = ops.reshape(plainA, [batchA, m, k]), b3 = ops.reshape(plainB, [batchB, k, n]);
      const out = ops.empty(outShape);
      for (let i = 0; i < batch; i++) {
        const ai = ops.slice(a3, [batchA === 1 ? 0 : i, 0, 0], [1, m, k]);
        const bi = ops.slice(b3, [i, 0, 0], [1, k, n]);
        const product = call(ai, bi);
        ops.heap(out).set(ops.heap(product), i * m * n);
        ops.drop(ai, bi, product);
      }
      return ops.keep(out);
    } finally {
      ops.dispose();
    }
  };
}

/**
 * Wraps a built-in BatchMatMul or _FusedMatMul as described above; the built-in's setup is kept because
 * the wrapper still calls into it.
 */
export function matMulKernelConfig(builtIn: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: builtIn.kernelName,
    backendName: "wasm",
    setupFunc: builtIn.setupFunc,
    kernelFunc: matMulKernel(builtIn),
  };
}
