/**
 * Throughput of the fused dense engine against stock tfjs on wasm, on the issue-2 shapes: random data
 * 160,000 x 73 -> 128 -> 64 -> 7, ReLU, dropout 0.1 after each hidden layer, Adam lr 1e-3, batch 64.
 * Each engine epoch shuffles the rows and gathers every batch, as a data pipeline would.
 *
 *   deno run --allow-read --allow-env --allow-net bench/dense_kernel_bench.ts [--epochs 3] [--rows 160000]
 *       [--tfjs-rows 32000] [--no-tfjs]
 *
 * Prints one JSON object on stdout; progress goes to stderr. Rates are given by wall time and by this
 * process's CPU time: on a shared machine the second is the steadier estimate of what one idle core
 * does (it counts V8's helper threads too, so it errs low).
 */
import process from "node:process";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../src/backend/choose.ts";
import { createDenseTrainer } from "../src/backend/wasm/dense_trainer.ts";
import type { DenseLayerSpec } from "../src/backend/wasm/dense_trainer_types.ts";
import { createRng, shuffleInPlace } from "../src/random.ts";

const IN = 73, HIDDEN = [128, 64], CLASSES = 7, BATCH = 64, DROPOUT = 0.1, LR = 1e-3;

interface BenchOptions {
  rows: number;
  epochs: number;
  tfjsRows: number;
  tfjs: boolean;
}

function parseArgs(args: string[]): BenchOptions {
  const opts: BenchOptions = { rows: 160_000, epochs: 3, tfjsRows: 32_000, tfjs: true };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--no-tfjs") opts.tfjs = false;
    else if (a === "--rows") opts.rows = Number(args[++i]);
    else if (a === "--epochs") opts.epochs = Number(args[++i]);
    else if (a === "--tfjs-rows") opts.tfjsRows = Number(args[++i]);
    else throw new Error(`unknown argument ${JSON.stringify(a)}`);
  }
  return opts;
}

function randomData(rows: number, seed: number) {
  const rng = createRng(seed);
  const x = new Float32Array(rows * IN);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) y[i] = rng.int(CLASSES);
  return { x, y };
}

const layers: DenseLayerSpec[] = [
  { inDim: IN, outDim: HIDDEN[0], activation: "relu", dropout: DROPOUT },
  { inDim: HIDDEN[0], outDim: HIDDEN[1], activation: "relu", dropout: DROPOUT },
  { inDim: HIDDEN[1], outDim: CLASSES, activation: "linear", dropout: 0 },
];

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** One shuffled epoch per run; returns samples/s (wall, CPU) of each run and the mean loss of the last. */
async function benchFused(data: { x: Float32Array; y: Int32Array }, rows: number, epochs: number) {
  const trainer = await createDenseTrainer({
    layers,
    optimizer: { name: "adam", lr: LR, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    seed: 7,
    maxBatch: BATCH,
  });
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const rng = createRng(11);
  const xb = new Float32Array(BATCH * IN), yb = new Int32Array(BATCH);
  const rates: number[] = [], cpuRates: number[] = [];
  let lastLoss = NaN;
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now(), c0 = cpuSeconds();
    shuffleInPlace(order, rng);
    let lossSum = 0, steps = 0;
    for (let start = 0; start < rows; start += BATCH) {
      const n = Math.min(BATCH, rows - start);
      for (let r = 0; r < n; r++) {
        const src = order[start + r];
        xb.set(data.x.subarray(src * IN, src * IN + IN), r * IN);
        yb[r] = data.y[src];
      }
      lossSum += trainer.trainBatch(xb, yb, n);
      steps++;
    }
    const s = (performance.now() - t0) / 1000, cpu = cpuSeconds() - c0;
    rates.push(rows / s);
    cpuRates.push(rows / cpu);
    lastLoss = lossSum / steps;
    console.error(
      `fused epoch ${e + 1}: ${(rows / s).toFixed(0)} samples/s wall, ${
        (rows / cpu).toFixed(0)
      } per CPU second, ` +
        `mean loss ${lastLoss.toFixed(4)}`,
    );
  }
  trainer.dispose();
  return { rates, cpuRates, lastLoss };
}

/** Stock tfjs (wasm backend) model.fit on the first `rows` rows: a warm-up epoch, then a timed one. */
async function benchTfjs(data: { x: Float32Array; y: Int32Array }, rows: number) {
  await useBackend("wasm");
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [IN], units: HIDDEN[0], activation: "relu" }));
  model.add(tf.layers.dropout({ rate: DROPOUT }));
  model.add(tf.layers.dense({ units: HIDDEN[1], activation: "relu" }));
  model.add(tf.layers.dropout({ rate: DROPOUT }));
  model.add(tf.layers.dense({ units: CLASSES, activation: "softmax" }));
  model.compile({ optimizer: tf.train.adam(LR), loss: "categoricalCrossentropy" });
  const xs = tf.tensor2d(data.x.subarray(0, rows * IN), [rows, IN]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(data.y.subarray(0, rows), "int32"), CLASSES));
  try {
    const warm = Math.min(rows, 4096);
    const wx = xs.slice(0, warm), wy = ys.slice(0, warm);
    await model.fit(wx, wy, { batchSize: BATCH, epochs: 1, shuffle: true, verbose: 0 });
    tf.dispose([wx, wy]);
    const t0 = performance.now(), c0 = cpuSeconds();
    await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, shuffle: true, verbose: 0 });
    const rate = rows / ((performance.now() - t0) / 1000), cpuRate = rows / (cpuSeconds() - c0);
    console.error(
      `tfjs wasm model.fit: ${rate.toFixed(0)} samples/s wall, ${cpuRate.toFixed(0)} per CPU second`,
    );
    return { samplesPerSec: Math.round(rate), samplesPerCpuSec: Math.round(cpuRate), rows };
  } finally {
    tf.dispose([xs, ys]);
    model.dispose();
  }
}

if (import.meta.main) {
  const opts = parseArgs(Deno.args);
  const data = randomData(opts.rows, 3);
  const fused = await benchFused(data, opts.rows, opts.epochs);
  const tfjs = opts.tfjs ? await benchTfjs(data, Math.min(opts.tfjsRows, opts.rows)) : null;
  const sorted = [...fused.rates].sort((a, b) => a - b);
  const bestCpu = Math.max(...fused.cpuRates);
  console.log(JSON.stringify({
    shape: { rows: opts.rows, inputs: IN, hidden: HIDDEN, classes: CLASSES, batch: BATCH, dropout: DROPOUT },
    optimizer: "adam",
    fused: {
      samplesPerSec: Math.round(sorted[sorted.length - 1]),
      medianSamplesPerSec: Math.round(sorted[Math.floor(sorted.length / 2)]),
      samplesPerCpuSec: Math.round(bestCpu),
      epochs: opts.epochs,
      meanLossLastEpoch: Number(fused.lastLoss.toFixed(5)),
    },
    tfjsWasmFit: tfjs,
    speedupPerCpuSec: tfjs === null ? null : Number((bestCpu / tfjs.samplesPerCpuSec).toFixed(2)),
  }));
}
