/**
 * Calls built-in wasm kernels straight on the backend, the way the backend's own composite kernels do.
 * Going round the engine means a composed kernel pays no dispatch, tape or scope cost per step, and its
 * temporaries are freed through the backend's reference counts as soon as the kernel returns.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { matrixSwap, subsampleInto, transposeMatrix } from "./heap_copies.ts";

type Attrs = tf.NamedAttrMap;

/** Contiguous runs shorter than this are sliced by the built-in kernel: one JS call a run costs more. */
const MIN_COPY_RUN = 64;

/** Runs a chain of built-in wasm kernels and frees every intermediate result on `dispose()`. */
export class WasmCalls {
  readonly backend: BackendWasm;
  #temps: tf.TensorInfo[] = [];

  constructor(backend: BackendWasm) {
    this.backend = backend;
  }

  /** Runs `kernel` (default: the wasm kernel registered under `name`) and tracks its output. */
  run(
    name: string,
    inputs: tf.NamedTensorInfoMap,
    attrs: Attrs = {},
    kernel?: tf.KernelConfig,
  ): tf.TensorInfo {
    const config = kernel ?? tf.getKernel(name, "wasm");
    if (config === undefined) throw new Error(`Kernel '${name}' is not registered for backend 'wasm'`);
    const out = config.kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`Kernel '${name}' returned ${out.length} outputs, expected one`);
    this.#temps.push(out);
    return out;
  }

  /** Makes an uninitialised float32 tensor on the wasm heap. */
  empty(shape: number[]): tf.TensorInfo {
    const out = this.backend.makeOutput(shape, "float32");
    this.#temps.push(out);
    return out;
  }

  /** Makes a zero-filled float32 tensor on the wasm heap. */
  zeros(shape: number[]): tf.TensorInfo {
    const out = this.empty(shape);
    this.heap(out).fill(0);
    return out;
  }

  /** A live Float32Array view of a tensor's bytes in wasm memory; take it after the last allocation. */
  heap(t: tf.TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(t) as Float32Array;
  }

  /** Stops tracking `t` so it survives `dispose()`: the kernel's result. */
  keep(t: tf.TensorInfo): tf.TensorInfo {
    const i = this.#temps.lastIndexOf(t);
    if (i >= 0) this.#temps.splice(i, 1);
    return t;
  }

  /** Releases some intermediates now, inside a loop that would otherwise pile them up. */
  drop(...ts: tf.TensorInfo[]): void {
    for (const t of ts) {
      const i = this.#temps.lastIndexOf(t);
      if (i >= 0) this.#temps.splice(i, 1);
      this.backend.disposeData(t.dataId);
    }
  }

  /** Releases every tracked intermediate. */
  dispose(): void {
    for (const t of this.#temps) this.backend.disposeData(t.dataId);
    this.#temps = [];
  }

  /**
   * Transposes; a permutation that reduces to swapping two blocks of axes (a matrix transpose, batched
   * or not) runs as a blocked loop here, 2x faster than the built-in kernel on the tall, narrow
   * matrices of the convolution gradients ([32768, 96]: 9 ms against 18 ms).
   */
  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    const swap = matrixSwap(x.shape, perm);
    if (swap === undefined || x.dtype === "string" || x.dtype === "complex64") {
      return this.run(tf.Transpose, { x }, { perm });
    }
    const out = this.backend.makeOutput(perm.map((p) => x.shape[p]), x.dtype);
    this.#temps.push(out);
    const src = this.backend.typedArrayFromHeap(x), dst = this.backend.typedArrayFromHeap(out);
    const [batch, rows, cols] = swap;
    for (let b = 0; b < batch; b++) transposeMatrix(src, dst, b * rows * cols, rows, cols);
    return out;
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run(tf.Reshape, { x }, { shape });
  }

  /**
   * Slices by block copies of the contiguous runs the slice is made of. The built-in Slice kernel copies
   * element by element: 7 ms for the centre tap of a 3x3x512x512 filter, 262k contiguous floats.
   */
  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    let inner = x.shape.length; // axes [inner, rank) are taken whole
    while (inner > 0 && begin[inner - 1] === 0 && size[inner - 1] === x.shape[inner - 1]) inner--;
    const run = tf.util.sizeFromShape(x.shape.slice(inner)) * (inner > 0 ? size[inner - 1] : 1);
    if (x.dtype === "string" || x.dtype === "complex64" || run < MIN_COPY_RUN) {
      return this.run(tf.Slice, { x }, { begin, size });
    }
    const out = this.backend.makeOutput(size, x.dtype);
    this.#temps.push(out);
    const src = this.backend.typedArrayFromHeap(x), dst = this.backend.typedArrayFromHeap(out);
    const strides = [...tf.util.computeStrides(x.shape), 1];
    const last = inner - 1; // the axis whose [begin, begin+size) range is one contiguous run
    let written = 0;
    const copy = (axis: number, offset: number) => {
      if (axis >= last) {
        const start = offset + (last >= 0 ? begin[last] * strides[last] : 0);
        dst.set(src.subarray(start, start + run), written);
        written += run;
        return;
      }
      for (let i = 0; i < size[axis]; i++) copy(axis + 1, offset + (begin[axis] + i) * strides[axis]);
    };
    if (run > 0) copy(0, 0);
    return out;
  }

  /** Picks every stride-th row and column of an NHWC tensor, from the first, `size` of each. */
  subsample(x: tf.TensorInfo, [sh, sw]: [number, number], [oh, ow]: [number, number]): tf.TensorInfo {
    const [n, h, w, c] = x.shape;
    const out = this.empty([n, oh, ow, c]);
    subsampleInto(this.heap(x), this.heap(out), [n, h, w, c], [sh, sw], [oh, ow]);
    return out;
  }

  pad(x: tf.TensorInfo, paddings: [number, number][]): tf.TensorInfo {
    return this.run(tf.PadV2, { x }, { paddings, constantValue: 0 });
  }

  /**
   * Reverses a filter [KH, KW, ...] in both spatial axes. Flattened, that is reversing the order of its
   * KH*KW contiguous taps, done as block copies: the built-in Reverse kernel took ~90 ms on a 3x3x512x512
   * filter, longer than the convolution it feeds.
   */
  flipSpatial(filter: tf.TensorInfo): tf.TensorInfo {
    const taps = filter.shape[0] * filter.shape[1];
    const block = tf.util.sizeFromShape(filter.shape.slice(2));
    const out = this.empty(filter.shape);
    const src = this.heap(filter), dst = this.heap(out);
    for (let t = 0; t < taps; t++) {
      dst.set(src.subarray((taps - 1 - t) * block, (taps - t) * block), t * block);
    }
    return out;
  }

  sum(x: tf.TensorInfo, axis: number[]): tf.TensorInfo {
    return this.run(tf.Sum, { x }, { axis, keepDims: false });
  }

  add(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run(tf.Add, { a, b });
  }

  /** Stride-1 NHWC convolution with explicit non-negative pads [top, bottom, left, right]. */
  conv2d(
    x: tf.TensorInfo,
    filter: tf.TensorInfo,
    pads: Pads,
    dilations: [number, number] = [1, 1],
  ): tf.TensorInfo {
    return this.run(tf.Conv2D, { x, filter }, {
      strides: [1, 1],
      pad: explicitPad(pads),
      dataFormat: "NHWC",
      dilations,
      dimRoundingMode: undefined as unknown as string,
    });
  }

  /** Stride-1 depthwise convolution with explicit non-negative pads [top, bottom, left, right]. */
  depthwise(
    x: tf.TensorInfo,
    filter: tf.TensorInfo,
    pads: Pads,
    dilations: [number, number] = [1, 1],
  ): tf.TensorInfo {
    return this.run(tf.DepthwiseConv2dNative, { x, filter }, {
      strides: [1, 1],
      pad: explicitPad(pads),
      dilations,
      dimRoundingMode: undefined as unknown as string,
    });
  }
}

/** Pads around the two spatial axes: [top, bottom, left, right]. */
export type Pads = [number, number, number, number];

function explicitPad([t, b, l, r]: Pads): tf.NamedAttrMap[string] {
  return [[0, 0], [t, b], [l, r], [0, 0]] as unknown as tf.NamedAttrMap[string];
}

/** A kernel call's arguments with attributes always present (tfjs passes `{}` when there are none). */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  attrs: tf.NamedAttrMap;
  backend: unknown;
}

/** Adapts a kernel written against KernelArgs to tfjs's KernelFunc. */
export function kernelFunc(fn: (args: KernelArgs) => tf.TensorInfo): tf.KernelFunc {
  return ({ inputs, attrs, backend }) => fn({ inputs, attrs: attrs ?? {}, backend });
}

/** The wasm backend behind a kernel call, checked so a kernel registered elsewhere fails loudly. */
export function wasmBackend(backend: unknown): BackendWasm {
  const b = backend as Partial<BackendWasm>;
  if (b.wasm === undefined || b.dataIdMap === undefined) {
    throw new Error("mmml wasm kernels ran on a backend that is not tfjs-backend-wasm");
  }
  return backend as BackendWasm;
}
