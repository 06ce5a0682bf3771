/**
 * The fused dense-stack engine (see dense_trainer_types.ts for why): a thin TypeScript shell over
 * dense_kernel.wasm, a hand-written SIMD kernel that runs a whole training step per call. Each trainer
 * owns one instance of the module, so its weights, optimizer slots and scratch sit in that instance's
 * memory; JS copies a batch in and reads a loss (or probabilities) back.
 */
import { MmmlError } from "../errors.ts";
import { createRng } from "../random.ts";
import type {
  DenseActivation,
  DenseLayerSpec,
  DenseOptimizer,
  DenseTrainer,
  DenseTrainerOptions,
} from "./dense_trainer_types.ts";

/** Activation codes shared with dense_kernel.c (enum ACT_*). */
export const DENSE_ACTIVATION_CODES = {
  linear: 0,
  relu: 1,
  tanh: 2,
  sigmoid: 3,
  elu: 4,
  selu: 5,
  gelu: 6,
  swish: 7,
} as const satisfies Record<DenseActivation, number>;

/** Deepest stack the kernel lays out (MAX_LAYERS in dense_kernel.c). */
export const DENSE_MAX_LAYERS = 16;

/** What a caller may ask about before building a trainer; looser than the options so any model fits. */
export interface DenseSupportQuery {
  layers: { inDim: number; outDim: number; activation: string; dropout: number }[];
  optimizer: { name: string; useNesterov?: boolean };
  /** Batch normalisation between layers is not part of the fused step. */
  batchNorm?: boolean;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  dk_add_layer(inDim: number, outDim: number, act: number, rate: number): number;
  dk_build(maxBatch: number, seed: number): number;
  dk_set_adam(lr: number, beta1: number, beta2: number, epsilon: number): void;
  dk_set_momentum(lr: number, momentum: number): void;
  dk_set_lr(lr: number): void;
  dk_set_step(step: number): void;
  dk_get_step(): number;
  dk_train(n: number, weighted: number): number;
  dk_predict(n: number): number;
  dk_x(): number;
  dk_y(): number;
  dk_sw(): number;
  dk_probs(): number;
  dk_params(): number;
  dk_slot(k: number): number;
  dk_param_count(): number;
  dk_padded_out(layer: number): number;
}

let modulePromise: Promise<WebAssembly.Module> | undefined;

function loadKernelModule(): Promise<WebAssembly.Module> {
  modulePromise ??= Deno.readFile(new URL("./dense_kernel.wasm", import.meta.url)).then(
    (bytes) => WebAssembly.compile(bytes),
    (err) => {
      modulePromise = undefined;
      throw new MmmlError("backend_unavailable", `Cannot read the dense kernel (dense_kernel.wasm): ${err}`, {
        cause: err,
      });
    },
  );
  return modulePromise;
}

/**
 * Says whether the fused engine can train a model: `true`, or a sentence naming the first feature it
 * lacks (the Trainer then falls back to tfjs and can log why).
 */
export function denseTrainerSupports(spec: DenseSupportQuery): true | string {
  const { layers, optimizer } = spec;
  if (spec.batchNorm) return "batch normalisation is not supported by the fused dense engine";
  if (layers.length === 0) return "a model with no dense layers";
  if (layers.length > DENSE_MAX_LAYERS) {
    return `at most ${DENSE_MAX_LAYERS} dense layers are supported, received ${layers.length}`;
  }
  for (const [i, layer] of layers.entries()) {
    if (
      !Number.isInteger(layer.inDim) || layer.inDim < 1 || !Number.isInteger(layer.outDim) || layer.outDim < 1
    ) {
      return `layer ${i}: expected positive integer sizes, received ${layer.inDim} -> ${layer.outDim}`;
    }
    if (i > 0 && layer.inDim !== layers[i - 1].outDim) {
      return `layer ${i}: input size ${layer.inDim} does not match the previous output ${
        layers[i - 1].outDim
      }`;
    }
    const last = i === layers.length - 1;
    if (!last && !(layer.activation in DENSE_ACTIVATION_CODES)) {
      return `layer ${i}: activation "${layer.activation}" is not supported (supported: ${
        Object.keys(DENSE_ACTIVATION_CODES).join(", ")
      })`;
    }
    if (!(layer.dropout >= 0 && layer.dropout < 1)) {
      return `layer ${i}: dropout must be in [0, 1), received ${layer.dropout}`;
    }
    if (last && layer.dropout > 0) {
      return `layer ${i}: dropout after the softmax output layer is not supported`;
    }
  }
  if (optimizer.name !== "adam" && optimizer.name !== "sgd") {
    return `optimizer "${optimizer.name}" is not supported (supported: adam, sgd)`;
  }
  if (optimizer.useNesterov) return "Nesterov momentum is not supported";
  return true;
}

function checkOptions(options: DenseTrainerOptions): void {
  const verdict = denseTrainerSupports(options);
  if (verdict !== true) throw new MmmlError("unsupported", `Fused dense engine: ${verdict}`);
  if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) {
    throw new MmmlError(
      "invalid_input",
      `Fused dense engine: maxBatch must be a positive integer, received ${options.maxBatch}`,
    );
  }
  const o = options.optimizer;
  const rates = o.name === "adam" ? [o.lr, o.beta1, o.beta2, o.epsilon] : [o.lr, o.momentum];
  if (!rates.every(Number.isFinite)) {
    throw new MmmlError(
      "invalid_input",
      `Fused dense engine: optimizer settings must be finite numbers, received ${JSON.stringify(o)}`,
    );
  }
}

function setOptimizer(k: KernelExports, o: DenseOptimizer): void {
  if (o.name === "adam") k.dk_set_adam(o.lr, o.beta1, o.beta2, o.epsilon);
  else k.dk_set_momentum(o.lr, o.momentum);
}

/** Builds a trainer: its own kernel instance, Glorot-uniform kernels and zero biases from `seed`. */
export async function createDenseTrainer(options: DenseTrainerOptions): Promise<DenseTrainer> {
  checkOptions(options);
  const { layers, maxBatch } = options;
  const instance = await WebAssembly.instantiate(await loadKernelModule(), {});
  const k = instance.exports as unknown as KernelExports;
  for (const layer of layers) {
    k.dk_add_layer(layer.inDim, layer.outDim, DENSE_ACTIVATION_CODES[layer.activation] ?? 0, layer.dropout);
  }
  if (k.dk_build(maxBatch, options.seed >>> 0) !== 1) {
    throw new MmmlError("internal", `Fused dense engine: could not allocate memory for maxBatch ${maxBatch}`);
  }
  setOptimizer(k, options.optimizer);
  const layout = paramLayout(k, layers);
  const inDim = layers[0].inDim;
  const classes = layers[layers.length - 1].outDim;
  const slotCount = options.optimizer.name === "adam" ? 2 : 1;
  let disposed = false;

  // The memory never grows after dk_build, so these views stay attached for the trainer's life.
  const mem = k.memory.buffer;
  const f32 = (ptr: number, len: number) => new Float32Array(mem, ptr, len);
  const xView = f32(k.dk_x(), maxBatch * inDim);
  const swView = f32(k.dk_sw(), maxBatch);
  const yView = new Int32Array(mem, k.dk_y(), maxBatch);
  const probView = f32(k.dk_probs(), maxBatch * classes);
  const paramPtr = k.dk_params();
  const slotPtrs = [k.dk_slot(0), k.dk_slot(1)];

  const alive = () => {
    if (disposed) throw new Error("DenseTrainer used after dispose()");
  };
  const checkN = (n: number, what: string) => {
    if (!Number.isInteger(n) || n < 1 || n > maxBatch) {
      throw new MmmlError(
        "invalid_input",
        `${what}: batch size must be 1..${maxBatch} (maxBatch), received ${n}`,
      );
    }
  };
  // Padded [in, op] storage <-> the caller's [in, out] arrays, one variable (kernel or bias) at a time.
  const readVars = (base: number): Float32Array[] =>
    layout.flatMap((
      v,
    ) => [
      unpad(f32(base + v.kernelOffset * 4, v.inDim * v.op), v.inDim, v.outDim, v.op),
      f32(base + v.biasOffset * 4, v.outDim).slice(),
    ]);
  const writeVars = (base: number, arrays: Float32Array[], what: string) => {
    layout.forEach((v, i) => {
      const kernel = arrays[2 * i], bias = arrays[2 * i + 1];
      expectLength(
        kernel,
        v.inDim * v.outDim,
        `${what} ${2 * i} (layer ${i} kernel [${v.inDim}, ${v.outDim}])`,
      );
      expectLength(bias, v.outDim, `${what} ${2 * i + 1} (layer ${i} bias [${v.outDim}])`);
      const dst = f32(base + v.kernelOffset * 4, v.inDim * v.op);
      for (let r = 0; r < v.inDim; r++) dst.set(kernel.subarray(r * v.outDim, (r + 1) * v.outDim), r * v.op);
      f32(base + v.biasOffset * 4, v.outDim).set(bias);
    });
  };

  glorotInit(f32(paramPtr, k.dk_param_count()), layout, options.seed);

  return {
    setWeights(weights) {
      alive();
      if (weights.length !== layers.length) {
        throw new MmmlError(
          "invalid_input",
          `setWeights: expected ${layers.length} layers, received ${weights.length}`,
        );
      }
      writeVars(paramPtr, weights.flatMap((w) => [w.kernel, w.bias]), "weight");
    },
    getWeights() {
      alive();
      const vars = readVars(paramPtr);
      return layout.map((_, i) => ({ kernel: vars[2 * i], bias: vars[2 * i + 1] }));
    },
    trainBatch(x, y, n, sampleWeight) {
      alive();
      checkN(n, "trainBatch");
      expectLength(x, n * inDim, "trainBatch x", true);
      expectLength(y, n, "trainBatch y", true);
      for (let i = 0; i < n; i++) {
        const c = y[i];
        if (!(c >= 0 && c < classes)) {
          throw new MmmlError(
            "invalid_input",
            `trainBatch: row ${i}: class index must be 0..${classes - 1}, received ${c}`,
          );
        }
      }
      xView.set(x.length === n * inDim ? x : x.subarray(0, n * inDim));
      yView.set(y.length === n ? y : y.subarray(0, n));
      if (sampleWeight) {
        expectLength(sampleWeight, n, "trainBatch sampleWeight", true);
        swView.set(sampleWeight.length === n ? sampleWeight : sampleWeight.subarray(0, n));
      }
      return k.dk_train(n, sampleWeight ? 1 : 0);
    },
    predict(x, n) {
      alive();
      expectLength(x, n * inDim, "predict x", true);
      const out = new Float32Array(n * classes);
      for (let start = 0; start < n; start += maxBatch) {
        const m = Math.min(maxBatch, n - start);
        xView.set(x.subarray(start * inDim, (start + m) * inDim));
        k.dk_predict(m);
        out.set(probView.subarray(0, m * classes), start * classes);
      }
      return out;
    },
    getOptimizerState() {
      alive();
      const slots = [];
      for (let s = 0; s < slotCount; s++) slots.push(...readVars(slotPtrs[s]));
      return { step: k.dk_get_step(), slots };
    },
    setOptimizerState(state) {
      alive();
      const perSlot = 2 * layers.length;
      if (!Number.isInteger(state.step) || state.step < 0 || state.step > 0x7fffffff) {
        throw new MmmlError(
          "invalid_input",
          `setOptimizerState: step must be a non-negative integer, received ${state.step}`,
        );
      }
      if (state.slots.length !== slotCount * perSlot) {
        throw new MmmlError(
          "invalid_input",
          `setOptimizerState: ${options.optimizer.name} expects ${
            slotCount * perSlot
          } slot arrays, received ${state.slots.length}`,
        );
      }
      for (let s = 0; s < slotCount; s++) {
        writeVars(slotPtrs[s], state.slots.slice(s * perSlot, (s + 1) * perSlot), "optimizer slot");
      }
      k.dk_set_step(state.step);
    },
    setLearningRate(lr) {
      alive();
      if (!(lr > 0) || !Number.isFinite(lr)) {
        throw new MmmlError("invalid_input", `setLearningRate: expected a positive number, received ${lr}`);
      }
      k.dk_set_lr(lr);
    },
    dispose() {
      disposed = true;
    },
  };
}

interface VarLayout {
  inDim: number;
  outDim: number;
  op: number;
  kernelOffset: number;
  biasOffset: number;
}

/** Float offsets of each layer's padded kernel and bias, mirroring dk_build's layout. */
function paramLayout(k: KernelExports, layers: DenseLayerSpec[]): VarLayout[] {
  let offset = 0;
  return layers.map((layer, i) => {
    const op = k.dk_padded_out(i);
    const v = {
      inDim: layer.inDim,
      outDim: layer.outDim,
      op,
      kernelOffset: offset,
      biasOffset: offset + layer.inDim * op,
    };
    offset += layer.inDim * op + op;
    return v;
  });
}

function unpad(src: Float32Array, rows: number, cols: number, stride: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(src.subarray(r * stride, r * stride + cols), r * cols);
  return out;
}

function expectLength(a: ArrayLike<number> | undefined, n: number, what: string, atLeast = false): void {
  const len = a?.length;
  if (len === undefined || (atLeast ? len < n : len !== n)) {
    throw new MmmlError(
      "invalid_input",
      `${what}: expected ${atLeast ? "at least " : ""}${n} values, received ${len ?? "nothing"}`,
    );
  }
}

/** tf.layers.dense's defaults: Glorot-uniform kernel, zero bias (padding columns stay zero). */
function glorotInit(params: Float32Array, layout: VarLayout[], seed: number): void {
  const rng = createRng(seed ^ 0x5eed);
  for (const v of layout) {
    const limit = Math.sqrt(6 / (v.inDim + v.outDim));
    for (let r = 0; r < v.inDim; r++) {
      for (let c = 0; c < v.outDim; c++) params[v.kernelOffset + r * v.op + c] = (rng.next() * 2 - 1) * limit;
    }
  }
}
