/**
 * The fused dense-stack engine (see dense_trainer_types.ts for why): a thin TypeScript shell over
 * dense_kernel.wasm, a hand-written SIMD kernel that runs a whole training step per call. Each trainer
 * owns one instance of the module, so its weights, optimizer slots and scratch sit in that instance's
 * memory; JS copies a batch in and reads a loss (or probabilities) back.
 */
import { MmmlError } from "../../errors.ts";
import { createRng } from "../../random.ts";
import type {
  DenseActivation,
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

/** Regression loss codes shared with dense_kernel.c (enum LOSS_*). */
const LOSS_CODES = { mse: 1, huber: 2 } as const;

/** Deepest stack the kernel lays out (MAX_LAYERS in dense_kernel.c). */
export const DENSE_MAX_LAYERS = 16;

/** Largest maxBatch x widest layer the kernel allocates scratch for (floats per buffer, 64 MiB). */
const MAX_BUFFER_FLOATS = 1 << 24;

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
  dk_set_loss(kind: number, delta: number): number;
  dk_set_weight_decay(wd: number): void;
  dk_set_step(step: number): void;
  dk_get_step(): number;
  dk_train(n: number, weighted: number): number;
  dk_predict(n: number): number;
  dk_x(): number;
  dk_y(): number;
  dk_t(): number;
  dk_sw(): number;
  dk_probs(): number;
  dk_params(): number;
  dk_slot(k: number): number;
  dk_param_count(): number;
  dk_padded_out(layer: number): number;
}

/** Where one layer's kernel [inDim, op] (op = outDim padded to 4) and bias [op] sit, in floats. */
interface VarLayout {
  inDim: number;
  outDim: number;
  op: number;
  kernelOffset: number;
  biasOffset: number;
}

let modulePromise: Promise<WebAssembly.Module> | undefined;

/** Compiles dense_kernel.wasm once per process; it needs WebAssembly SIMD128 and relaxed SIMD. */
function loadKernelModule(): Promise<WebAssembly.Module> {
  modulePromise ??= Deno.readFile(new URL("./dense_kernel.wasm", import.meta.url))
    .then((bytes) => WebAssembly.compile(bytes))
    .catch((err) => {
      modulePromise = undefined;
      throw new MmmlError(
        "backend_unavailable",
        `Cannot load the fused dense kernel (dense_kernel.wasm, needs wasm SIMD and relaxed SIMD): ${err}`,
        { cause: err },
      );
    });
  return modulePromise;
}

function fail(message: string): never {
  throw new MmmlError("invalid_input", message);
}

/**
 * Says whether the fused engine can train a model: `true`, or one string listing every feature it
 * lacks, separated by "; " (the Trainer then falls back to tfjs and can log why). Test with `=== true`.
 */
export function denseTrainerSupports(spec: DenseSupportQuery): true | string {
  const { layers, optimizer } = spec;
  const problems: string[] = [];
  if (spec.batchNorm) problems.push("batch normalisation is not supported by the fused dense engine");
  if (layers.length === 0) problems.push("a model with no dense layers");
  if (layers.length > DENSE_MAX_LAYERS) {
    problems.push(`at most ${DENSE_MAX_LAYERS} dense layers are supported, received ${layers.length}`);
  }
  for (const [i, { inDim, outDim, activation, dropout }] of layers.entries()) {
    const last = i === layers.length - 1;
    if (!(Number.isInteger(inDim) && inDim >= 1 && Number.isInteger(outDim) && outDim >= 1)) {
      problems.push(`layer ${i}: expected positive integer sizes, received ${inDim} -> ${outDim}`);
    } else if (i > 0 && inDim !== layers[i - 1].outDim) {
      problems.push(
        `layer ${i}: input size ${inDim} does not match the previous output ${layers[i - 1].outDim}`,
      );
    }
    if (!last && !(activation in DENSE_ACTIVATION_CODES)) {
      const known = Object.keys(DENSE_ACTIVATION_CODES).join(", ");
      problems.push(`layer ${i}: activation "${activation}" is not supported (supported: ${known})`);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      problems.push(`layer ${i}: dropout must be in [0, 1), received ${dropout}`);
    } else if (last && dropout > 0) {
      problems.push(`layer ${i}: dropout after the softmax output layer is not supported`);
    }
  }
  if (optimizer.name !== "adam" && optimizer.name !== "sgd") {
    problems.push(`optimizer "${optimizer.name}" is not supported (supported: adam, sgd)`);
  }
  if (optimizer.useNesterov) problems.push("Nesterov momentum is not supported");
  return problems.length === 0 ? true : problems.join("; ");
}

function checkOptions({ layers, optimizer, maxBatch }: DenseTrainerOptions): void {
  const verdict = denseTrainerSupports({ layers, optimizer });
  if (verdict !== true) throw new MmmlError("unsupported", `Fused dense engine: ${verdict}`);
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    fail(`Fused dense engine: maxBatch must be a positive integer, received ${maxBatch}`);
  }
  const widest = Math.max(...layers.map((l) => Math.max(l.inDim, l.outDim + 3)));
  if (maxBatch * widest > MAX_BUFFER_FLOATS) {
    fail(
      `Fused dense engine: maxBatch ${maxBatch} x layer width ${widest} exceeds ${MAX_BUFFER_FLOATS} values`,
    );
  }
  const o = optimizer;
  const settings = o.name === "adam" ? [o.lr, o.beta1, o.beta2, o.epsilon] : [o.lr, o.momentum];
  if (!settings.every(Number.isFinite)) {
    fail(`Fused dense engine: optimizer settings must be finite numbers, received ${JSON.stringify(o)}`);
  }
}

function setOptimizer(k: KernelExports, o: DenseOptimizer): void {
  if (o.name === "adam") k.dk_set_adam(o.lr, o.beta1, o.beta2, o.epsilon);
  else k.dk_set_momentum(o.lr, o.momentum);
}

function expectLength(a: ArrayLike<number> | undefined, n: number, what: string, atLeast = false): void {
  const len = a?.length;
  if (len === undefined || (atLeast ? len < n : len !== n)) {
    fail(`${what}: expected ${atLeast ? "at least " : ""}${n} values, received ${len ?? "nothing"}`);
  }
}

/**
 * Builds a trainer with its own kernel instance. Kernels start Glorot-uniform and biases zero (tfjs
 * Dense's defaults), drawn from `seed`; the Trainer normally overwrites them with setWeights.
 * Optimizer state slots are ordered as tfjs's optimizer.getWeights(): Adam's first moments for every
 * variable (kernel 0, bias 0, kernel 1, ...), then its second moments; Momentum's accumulators.
 */
export async function createDenseTrainer(options: DenseTrainerOptions): Promise<DenseTrainer> {
  checkOptions(options);
  const { layers, maxBatch } = options;
  const k = (await WebAssembly.instantiate(await loadKernelModule(), {})).exports as unknown as KernelExports;
  for (const l of layers) {
    k.dk_add_layer(l.inDim, l.outDim, DENSE_ACTIVATION_CODES[l.activation] ?? 0, l.dropout);
  }
  if (k.dk_build(maxBatch, options.seed >>> 0) !== 1) {
    throw new MmmlError("internal", `Fused dense engine: could not allocate memory for maxBatch ${maxBatch}`);
  }
  setOptimizer(k, options.optimizer);
  if (options.weightDecay) k.dk_set_weight_decay(options.weightDecay);
  if (options.loss && k.dk_set_loss(LOSS_CODES[options.loss.kind], options.loss.delta) !== 1) {
    fail(
      `Fused dense engine: the ${options.loss.kind} loss needs one output, received ${layers.at(-1)!.outDim}`,
    );
  }

  let offset = 0;
  const layout: VarLayout[] = layers.map(({ inDim, outDim }, i) => {
    const op = k.dk_padded_out(i), kernelOffset = offset;
    offset += inDim * op + op;
    return { inDim, outDim, op, kernelOffset, biasOffset: kernelOffset + inDim * op };
  });
  const inDim = layers[0].inDim, classes = layers[layers.length - 1].outDim;
  const slotCount = options.optimizer.name === "adam" ? 2 : 1, perSlot = 2 * layers.length;

  // The memory never grows after dk_build, so these views stay attached for the trainer's life.
  const mem = k.memory.buffer;
  const f32 = (ptr: number, len: number) => new Float32Array(mem, ptr, len);
  const xView = f32(k.dk_x(), maxBatch * inDim), swView = f32(k.dk_sw(), maxBatch);
  const yView = new Int32Array(mem, k.dk_y(), maxBatch), probView = f32(k.dk_probs(), maxBatch * classes);
  const tView = f32(k.dk_t(), maxBatch);
  const paramPtr = k.dk_params(), slotPtrs = [k.dk_slot(0), k.dk_slot(1)];

  // Padded storage <-> the caller's unpadded [in, out] kernels and [out] biases, flattened per variable.
  const readVars = (base: number): Float32Array[] =>
    layout.flatMap((v) => {
      const src = f32(base + v.kernelOffset * 4, v.inDim * v.op),
        kernel = new Float32Array(v.inDim * v.outDim);
      for (let r = 0; r < v.inDim; r++) kernel.set(src.subarray(r * v.op, r * v.op + v.outDim), r * v.outDim);
      return [kernel, f32(base + v.biasOffset * 4, v.outDim).slice()];
    });
  const writeVars = (base: number, arrays: Float32Array[], what: string) =>
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

  const rng = createRng(options.seed ^ 0x5eed);
  const params = f32(paramPtr, k.dk_param_count());
  for (const v of layout) {
    const limit = Math.sqrt(6 / (v.inDim + v.outDim));
    for (let r = 0; r < v.inDim; r++) {
      for (let c = 0; c < v.outDim; c++) params[v.kernelOffset + r * v.op + c] = (rng.next() * 2 - 1) * limit;
    }
  }

  let disposed = false;
  const alive = () => {
    if (disposed) throw new Error("DenseTrainer used after dispose()");
  };
  const copyIn = (x: Float32Array, start: number, n: number, what: string) => {
    if (!Number.isInteger(n) || n < 1 || n > maxBatch) {
      fail(`${what}: batch size must be 1..${maxBatch}, received ${n}`);
    }
    xView.set(x.subarray(start * inDim, (start + n) * inDim));
  };

  return {
    setWeights(weights) {
      alive();
      if (weights.length !== layers.length) {
        fail(`setWeights: expected ${layers.length} layers, received ${weights.length}`);
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
      expectLength(x, n * inDim, "trainBatch x", true);
      expectLength(y, n, "trainBatch y", true);
      copyIn(x, 0, n, "trainBatch");
      for (let i = 0; i < n; i++) {
        const c = y[i];
        if (!(c >= 0 && c < classes)) {
          fail(`trainBatch: row ${i}: class index must be 0..${classes - 1}, received ${c}`);
        }
      }
      yView.set(y.subarray(0, n));
      if (sampleWeight) {
        expectLength(sampleWeight, n, "trainBatch sampleWeight", true);
        swView.set(sampleWeight.subarray(0, n));
      }
      return k.dk_train(n, sampleWeight ? 1 : 0);
    },
    trainTargets(x, t, n) {
      alive();
      if (!options.loss) fail("trainTargets: the trainer was built for classes (no regression loss)");
      expectLength(x, n * inDim, "trainTargets x", true);
      expectLength(t, n, "trainTargets t", true);
      copyIn(x, 0, n, "trainTargets");
      tView.set(t.subarray(0, n));
      return k.dk_train(n, 0);
    },
    predict(x, n) {
      alive();
      if (!Number.isInteger(n) || n < 0) {
        fail(`predict: row count must be a non-negative integer, received ${n}`);
      }
      expectLength(x, n * inDim, "predict x", true);
      const out = new Float32Array(n * classes);
      for (let start = 0; start < n; start += maxBatch) {
        const m = Math.min(maxBatch, n - start);
        copyIn(x, start, m, "predict");
        k.dk_predict(m);
        out.set(probView.subarray(0, m * classes), start * classes);
      }
      return out;
    },
    getOptimizerState() {
      alive();
      return { step: k.dk_get_step(), slots: slotPtrs.slice(0, slotCount).flatMap(readVars) };
    },
    setOptimizerState({ step, slots }) {
      alive();
      if (!Number.isInteger(step) || step < 0 || step > 0x7fffffff) {
        fail(`setOptimizerState: step must be a non-negative integer, received ${step}`);
      }
      if (slots.length !== slotCount * perSlot) {
        const name = options.optimizer.name;
        fail(
          `setOptimizerState: ${name} expects ${slotCount * perSlot} slot arrays, received ${slots.length}`,
        );
      }
      for (let s = 0; s < slotCount; s++) {
        writeVars(slotPtrs[s], slots.slice(s * perSlot, (s + 1) * perSlot), "optimizer slot");
      }
      k.dk_set_step(step);
    },
    setLearningRate(lr) {
      alive();
      if (!(lr > 0 && Number.isFinite(lr))) {
        fail(`setLearningRate: expected a positive number, received ${lr}`);
      }
      k.dk_set_lr(lr);
    },
    dispose() {
      disposed = true;
    },
  };
}
