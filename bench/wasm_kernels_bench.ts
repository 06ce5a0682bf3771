/**
 * What mmml's wasm kernels (src/backend/wasm/register_kernels.ts) buy: per kernel, the built-in wasm kernel
 * against mmml's on the shapes a ResNet-18 training step at batch 32 produces; then a whole ResNet-18
 * training step (standard stem, Adam) with stock kernels against mmml's. Stock wasm cannot train a CNN
 * at all (it has no Conv2DBackpropFilter), so the "stock" step keeps mmml's kernels for the missing ones
 * only. Last, the optimizers: the tfjs engine's step (optimizer.minimize, mmml's kernels) and the
 * update alone (applyGradients on fixed gradients) with tf.train.adam / momentum against mmml's fused
 * ones (src/training/optimizers/fused_optimizer.ts), whose weights go to a fresh buffer or, to measure, in place.
 *
 *   deno run --allow-read --allow-env --allow-net bench/wasm_kernels_bench.ts [--sizes 28,64]
 *       [--models resnet18,efficientnet_b0] [--batch 32] [--steps 2] [--threads 1] [--no-kernels] [--no-steps]
 *       [--no-optimizers]
 *
 * Times are wall-clock ms and process CPU ms (with one thread, CPU time is the better figure on a shared
 * machine). Prints one JSON object on stdout; progress goes to stderr.
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { useBackend } from "../src/backend/choose.ts";
import { registerWasmKernels } from "../src/backend/wasm/register_kernels.ts";
import { FusedAdam, FusedMomentum } from "../src/training/optimizers/fused_optimizer.ts";

interface BenchOptions {
  sizes: number[];
  models: (keyof typeof MODELS)[];
  batch: number;
  steps: number;
  threads: number;
  kernels: boolean;
  trainSteps: boolean;
  optimizers: boolean;
}

function parseArgs(args: string[]): BenchOptions {
  const opts: BenchOptions = {
    sizes: [28, 64],
    models: ["resnet18"],
    batch: 32,
    steps: 2,
    threads: 1,
    kernels: true,
    trainSteps: true,
    optimizers: true,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--sizes") opts.sizes = args[++i].split(",").map(Number);
    else if (a === "--models") opts.models = args[++i].split(",") as BenchOptions["models"];
    else if (a === "--batch") opts.batch = Number(args[++i]);
    else if (a === "--steps") opts.steps = Number(args[++i]);
    else if (a === "--threads") opts.threads = Number(args[++i]);
    else if (a === "--no-kernels") opts.kernels = false;
    else if (a === "--no-steps") opts.trainSteps = false;
    else if (a === "--no-optimizers") opts.optimizers = false;
    else throw new Error(`unknown argument ${JSON.stringify(a)}`);
  }
  return opts;
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function timeIt(fn: () => Promise<void> | void, reps: number): Promise<Timing> {
  await fn(); // warm-up: allocations, XNNPACK operator creation
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await fn();
  const cpu = process.cpuUsage(cpu0);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    wallMs: round((performance.now() - t0) / reps),
    cpuMs: round((cpu.user + cpu.system) / 1000 / reps),
  };
}

type KernelSet = Map<string, tf.KernelConfig>;

function install(kernels: KernelSet): void {
  for (const [name, config] of kernels) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(config);
  }
}

/** Calls one kernel straight on the backend, as the engine would, and frees its output. */
function callKernel(config: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): void {
  const backend = tf.backend();
  const out = config.kernelFunc({ inputs, attrs, backend });
  for (const t of Array.isArray(out) ? out : [out]) backend.disposeData(t.dataId);
}

async function kernelComparisons(stock: KernelSet, mmml: KernelSet) {
  const rows = [];
  const seed = 7;
  const convShapes: [number[], number[], number][] = [
    [[32, 1, 1, 512], [3, 3, 512, 512], 1],
    [[32, 2, 2, 256], [3, 3, 256, 256], 1],
    [[32, 4, 4, 128], [3, 3, 128, 128], 1],
    [[32, 7, 7, 64], [3, 3, 64, 64], 1],
    [[32, 16, 16, 64], [3, 3, 64, 64], 1],
    [[32, 8, 8, 128], [3, 3, 128, 256], 2],
    [[32, 16, 16, 64], [1, 1, 64, 128], 2],
  ];
  for (const [xShape, fShape, s] of convShapes) {
    const filter = tf.randomNormal(fShape, 0, 1, "float32", seed);
    const info = tf.backend_util.computeConv2DInfo(xShape as never, fShape as never, s, 1, "same");
    const dy = tf.randomNormal([xShape[0], info.outHeight, info.outWidth, fShape[3]], 0, 1, "float32", seed);
    const attrs = { strides: [s, s], pad: "same", dataFormat: "NHWC", inputShape: xShape };
    const run = (k: KernelSet) => () => callKernel(k.get(tf.Conv2DBackpropInput)!, { dy, filter }, attrs);
    const builtIn = await timeIt(run(stock), 2);
    const ours = await timeIt(run(mmml), 3);
    rows.push({ kernel: "Conv2DBackpropInput", x: xShape, filter: fShape, stride: s, builtIn, mmml: ours });
    console.error(`Conv2DBackpropInput ${xShape} ${fShape} s${s}: ${builtIn.cpuMs} -> ${ours.cpuMs} cpu ms`);
    tf.dispose([filter, dy]);
  }
  // Dense-layer gradients: dW = x^T dy (transposeA), dx = dy W^T (transposeB).
  for (const [batch, inDim, outDim] of [[32, 512, 10], [32, 512, 1000], [256, 1024, 1024]]) {
    const x = tf.randomNormal([batch, inDim]),
      dy = tf.randomNormal([batch, outDim]),
      w = tf.randomNormal([inDim, outDim]);
    const cases = [
      { label: "x^T dy", inputs: { a: x, b: dy }, attrs: { transposeA: true, transposeB: false } },
      { label: "dy W^T", inputs: { a: dy, b: w }, attrs: { transposeA: false, transposeB: true } },
    ];
    for (const c of cases) {
      const run = (k: KernelSet) => () => callKernel(k.get(tf.BatchMatMul)!, c.inputs, c.attrs);
      const builtIn = await timeIt(run(stock), 1);
      const ours = await timeIt(run(mmml), 3);
      rows.push({ kernel: "BatchMatMul", product: c.label, batch, inDim, outDim, builtIn, mmml: ours });
      console.error(
        `BatchMatMul ${c.label} ${batch}x${inDim}x${outDim}: ${builtIn.cpuMs} -> ${ours.cpuMs} cpu ms`,
      );
    }
    tf.dispose([x, dy, w]);
  }
  // Batch norm's gradient tiles a per-channel vector to the activation's shape.
  for (const shape of [[32, 7, 7, 64], [32, 32, 32, 64]]) {
    const x = tf.randomNormal([1, 1, 1, shape[3]]);
    const attrs = { reps: [shape[0], shape[1], shape[2], 1] };
    const run = (k: KernelSet) => () => callKernel(k.get(tf.Tile)!, { x }, attrs);
    const builtIn = await timeIt(run(stock), 3);
    const ours = await timeIt(run(mmml), 3);
    rows.push({ kernel: "Tile", to: shape, builtIn, mmml: ours });
    console.error(`Tile -> ${shape}: ${builtIn.cpuMs} -> ${ours.cpuMs} cpu ms`);
    x.dispose();
  }
  // ResNet's stem pool (3x3/2) at 64x64 and 128x128 inputs.
  for (const shape of [[32, 16, 16, 64], [32, 32, 32, 64]] as [number, number, number, number][]) {
    const input = tf.randomNormal(shape) as tf.Tensor4D;
    const output = tf.maxPool(input, 3, 2, "same");
    const dy = tf.randomNormal(output.shape);
    const attrs = { filterSize: 3, strides: 2, pad: "same" };
    const run = (k: KernelSet) => () => callKernel(k.get(tf.MaxPoolGrad)!, { dy, input, output }, attrs);
    const builtIn = await timeIt(run(stock), 3);
    const ours = await timeIt(run(mmml), 3);
    rows.push({ kernel: "MaxPoolGrad", x: shape, builtIn, mmml: ours });
    console.error(`MaxPoolGrad ${shape}: ${builtIn.cpuMs} -> ${ours.cpuMs} cpu ms`);
    tf.dispose([input, output, dy]);
  }
  return rows;
}

/** ResNet-18 (basic blocks 2-2-2-2, widths 64-512) with the standard 7x7/2 stem and 3x3/2 max pool. */
export function resnet18(size: number, classes: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  const conv = (x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number) =>
    apply(tf.layers.conv2d({ filters, kernelSize, strides, padding: "same", useBias: false }), x);
  const bn = (x: tf.SymbolicTensor) => apply(tf.layers.batchNormalization(), x);
  const relu = (x: tf.SymbolicTensor) => apply(tf.layers.reLU(), x);
  let x = relu(bn(conv(input, 64, 7, 2)));
  x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }), x);
  let channels = 64;
  for (const [stage, filters] of [64, 128, 256, 512].entries()) {
    for (let block = 0; block < 2; block++) {
      const strides = block === 0 && stage > 0 ? 2 : 1;
      const y = bn(conv(relu(bn(conv(x, filters, 3, strides))), filters, 3, 1));
      const shortcut = strides !== 1 || channels !== filters ? bn(conv(x, filters, 1, strides)) : x;
      x = relu(apply(tf.layers.add(), [y, shortcut]));
      channels = filters;
    }
  }
  x = apply(tf.layers.globalAveragePooling2d({}), x);
  return tf.model({
    inputs: input,
    outputs: apply(tf.layers.dense({ units: classes, activation: "softmax" }), x),
  });
}

/** EfficientNet-B0: MBConv blocks (expand, depthwise, squeeze-excite, project) with swish. */
export function efficientnetB0(size: number, classes: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor) => apply(tf.layers.batchNormalization(), x);
  const swish = (x: tf.SymbolicTensor) => apply(tf.layers.activation({ activation: "swish" }), x);
  const conv = (x: tf.SymbolicTensor, filters: number, kernelSize: number, strides = 1) =>
    apply(tf.layers.conv2d({ filters, kernelSize, strides, padding: "same", useBias: false }), x);
  let x = swish(bn(conv(input, 32, 3, 2)));
  let channels = 32;
  // [expansion, kernel, stride, output channels, repeats] per stage
  const stages = [
    [1, 3, 1, 16, 1],
    [6, 3, 2, 24, 2],
    [6, 5, 2, 40, 2],
    [6, 3, 2, 80, 3],
    [6, 5, 1, 112, 3],
    [6, 5, 2, 192, 4],
    [6, 3, 1, 320, 1],
  ];
  for (const [expand, kernelSize, stride, filters, repeats] of stages) {
    for (let r = 0; r < repeats; r++) {
      const strides = r === 0 ? stride : 1;
      const wide = channels * expand;
      let y = expand === 1 ? x : swish(bn(conv(x, wide, 1)));
      y = apply(tf.layers.depthwiseConv2d({ kernelSize, strides, padding: "same", useBias: false }), y);
      y = swish(bn(y));
      let se = apply(tf.layers.globalAveragePooling2d({}), y);
      se = apply(tf.layers.dense({ units: Math.max(1, Math.floor(channels / 4)), activation: "swish" }), se);
      se = apply(tf.layers.dense({ units: wide, activation: "sigmoid" }), se);
      y = apply(tf.layers.multiply(), [y, apply(tf.layers.reshape({ targetShape: [1, 1, wide] }), se)]);
      y = bn(conv(y, filters, 1));
      x = strides === 1 && channels === filters ? apply(tf.layers.add(), [x, y]) : y;
      channels = filters;
    }
  }
  x = swish(bn(conv(x, 1280, 1)));
  x = apply(tf.layers.globalAveragePooling2d({}), x);
  return tf.model({
    inputs: input,
    outputs: apply(tf.layers.dense({ units: classes, activation: "softmax" }), x),
  });
}

const MODELS = { resnet18, efficientnet_b0: efficientnetB0 } as const;

async function trainingStep(arch: keyof typeof MODELS, size: number, batch: number, steps: number) {
  const model = MODELS[arch](size, 10);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  const xs = tf.randomNormal([batch, size, size, 3], 0, 1, "float32", 1);
  const ys = tf.oneHot(tf.randomUniform([batch], 0, 10, "int32", 2), 10);
  try {
    const timing = await timeIt(async () => void await model.trainOnBatch(xs, ys), steps);
    return { ...timing, imagesPerSecond: Math.round((batch / timing.wallMs) * 1000 * 10) / 10 };
  } finally {
    model.optimizer?.dispose();
    model.dispose();
    tf.dispose([xs, ys]);
  }
}

const ADAM = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const MOMENTUM = { learningRate: 1e-2, momentum: 0.9 };
const OPTIMIZERS = {
  "tf.train.adam": () => tf.train.adam(ADAM.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon),
  FusedAdam: () => new FusedAdam(ADAM),
  "FusedAdam, weights in place": () => new FusedAdam(ADAM, { weights: "in-place" }),
  "tf.train.momentum": () => tf.train.momentum(MOMENTUM.learningRate, MOMENTUM.momentum),
  FusedMomentum: () => new FusedMomentum(MOMENTUM),
} as const satisfies Record<string, () => tf.Optimizer>;

/** The tfjs engine's step (minimize over the trainable weights) and the update alone, per optimizer. */
async function optimizerComparison(arch: keyof typeof MODELS, size: number, batch: number, steps: number) {
  const model = MODELS[arch](size, 10);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const xs = tf.randomNormal([batch, size, size, 3], 0, 1, "float32", 1);
  const ys = tf.oneHot(tf.randomUniform([batch], 0, 10, "int32", 2), 10);
  // The tfjs engine's loss: cross-entropy on the softmax output, mean over the batch.
  const loss = () =>
    tf.div(
      tf.neg(
        tf.sum(tf.mul(ys, tf.log(tf.clipByValue(model.apply(xs, { training: true }) as tf.Tensor, 1e-7, 1)))),
      ),
      batch,
    ) as tf.Scalar;
  const { value, grads } = tf.variableGrads(loss, variables);
  const named = variables.map((v) => ({ name: v.name, tensor: grads[v.name] }));
  const rows = [];
  try {
    for (const [name, make] of Object.entries(OPTIMIZERS)) {
      const opt = make();
      try {
        const step = await timeIt(() => tf.tidy(() => void opt.minimize(loss, false, variables)), steps);
        const update = await timeIt(() => opt.applyGradients(named), Math.max(steps, 3));
        rows.push({ optimizer: name, step, update });
        console.error(`${arch} ${size}x${size} ${name}: step ${step.cpuMs}, update ${update.cpuMs} cpu ms`);
      } finally {
        opt.dispose();
        (opt as unknown as { c?: tf.Tensor }).c?.dispose(); // tfjs's MomentumOptimizer.dispose() forgets it
      }
    }
  } finally {
    tf.dispose([value, ...Object.values(grads), xs, ys]);
    model.dispose();
  }
  const parameters = variables.reduce((n, v) => n + v.size, 0);
  return { model: arch, size, batch, parameters, optimizers: rows };
}

async function main() {
  const opts = parseArgs(Deno.args);
  // The package registered its kernels on import; read them before useBackend/registerWasmKernels
  // replace some.
  const builtIns: KernelSet = new Map(tf.getKernelsForBackend("wasm").map((k) => [k.kernelName, k]));
  await useBackend("wasm", { threads: opts.threads });
  const names = registerWasmKernels().registered;
  const mmml: KernelSet = new Map(names.map((n) => [n, tf.getKernel(n, "wasm")!]));
  // A kernel stock wasm lacks stays mmml's, or the stock step could not run at all.
  const stock: KernelSet = new Map(names.map((n) => [n, builtIns.get(n) ?? mmml.get(n)!]));
  const result: Record<string, unknown> = {
    backend: tf.getBackend(),
    threads: opts.threads,
    batch: opts.batch,
    mmmlKernels: names,
  };
  if (opts.kernels) result.kernels = await kernelComparisons(stock, mmml);
  if (opts.trainSteps) {
    const steps = [];
    for (const arch of opts.models) {
      for (const size of opts.sizes) {
        install(stock);
        const before = await trainingStep(arch, size, opts.batch, opts.steps);
        console.error(`${arch} ${size}x${size} stock kernels: ${JSON.stringify(before)}`);
        install(mmml);
        const after = await trainingStep(arch, size, opts.batch, opts.steps);
        console.error(`${arch} ${size}x${size} mmml kernels: ${JSON.stringify(after)}`);
        const speedup = round2(before.cpuMs / after.cpuMs);
        steps.push({ model: arch, size, stock: before, mmml: after, speedup });
      }
    }
    result.trainingSteps = steps;
  }
  if (opts.optimizers) {
    install(mmml);
    const rows = [];
    for (const arch of opts.models) {
      for (const size of opts.sizes) rows.push(await optimizerComparison(arch, size, opts.batch, opts.steps));
    }
    result.optimizers = rows;
  }
  console.log(JSON.stringify(result, null, 2));
}

const round2 = (x: number) => Math.round(x * 100) / 100;

if (import.meta.main) await main();
