/**
 * Training steps on the fused dense engine (src/backend/wasm/dense_trainer.ts) for plain MLPs on a CPU backend.
 * The tfjs model stays the source of truth between fits: its weights go into the engine when training
 * starts and come back at every epoch end, before validation, callbacks and saving see the model.
 */
import * as tf from "@tensorflow/tfjs";
import { createDenseTrainer, denseTrainerSupports } from "../../backend/wasm/dense_trainer.ts";
import type { DenseActivation, DenseLayerSpec } from "../../backend/wasm/dense_trainer_types.ts";
import { MmmlError } from "../../errors.ts";
import type { MmmlModel } from "../../models/model.ts";
import { predictedClasses } from "../../evaluation/metrics.ts";
import type { OptimizerConfig } from "../../config/schema.ts";
import { denseOptimizer } from "../optimizers/optimizer.ts";
import type { StepEngine } from "./step_engine.ts";
import { CLASSIFICATION, type Objective } from "../objective.ts";
import type { Batch } from "../../data/data_source.ts";
import { createRng } from "../../random.ts";

/** Backends whose tensors live in CPU memory, where copying weights to and from the engine is cheap. */
const CPU_BACKENDS: ReadonlySet<string> = new Set(["native", "wasm", "cpu"]);

const STACK_LAYERS: ReadonlySet<string> = new Set(["Dense", "Dropout", "InputLayer"]);

interface DenseStack {
  layers: DenseLayerSpec[];
  dense: tf.layers.Layer[];
  /** The rate of a dropout layer before the first dense layer (a classifier head on features), or 0. */
  inputDropout: number;
}

/** The model as a dense stack the engine understands, or a sentence saying why it is not one. */
function denseStack(model: MmmlModel): DenseStack | string {
  const foreign = model.net.layers.find((layer) => !STACK_LAYERS.has(layer.getClassName()));
  if (foreign) return `layer "${foreign.name}" (${foreign.getClassName()}) is not a dense or dropout layer`;
  const layers: DenseLayerSpec[] = [];
  const dense: tf.layers.Layer[] = [];
  let inputDropout = 0;
  for (const layer of model.net.layers) {
    const kind = layer.getClassName();
    const config = layer.getConfig();
    if (!layer.trainable) return `layer "${layer.name}" is frozen`;
    if (kind === "Dense") {
      if (config.useBias === false) return `layer "${layer.name}" has no bias`;
      const [inDim, outDim] = layer.weights[0].shape as number[];
      layers.push({
        inDim,
        outDim,
        activation: String(config.activation) as DenseActivation,
        dropout: 0,
      });
      dense.push(layer);
    } else if (kind === "Dropout") {
      if (layers.length > 0) layers[layers.length - 1].dropout = Number(config.rate);
      else if (inputDropout === 0) inputDropout = Number(config.rate);
      else return `dropout layer "${layer.name}" follows another before any dense layer`;
    }
  }
  const head = layers[layers.length - 1];
  const regression = model.spec.output === "linear";
  if (!head || head.activation !== (regression ? "linear" : "softmax" as string)) {
    return regression
      ? "the last layer is not a linear dense layer"
      : "the last layer is not a softmax dense layer";
  }
  // The engine puts softmax after the last layer itself.
  head.activation = "linear";
  return { layers, dense, inputDropout };
}

/** `true` when the fused engine can train this model on this backend, else the reason it cannot. */
export function fusedEngineVerdict(
  model: MmmlModel,
  { backend, optimizer }: { backend: string; optimizer: OptimizerConfig },
): true | string {
  if (!CPU_BACKENDS.has(backend)) return `the ${backend} backend is not a CPU backend`;
  const stack = denseStack(model);
  if (typeof stack === "string") return stack;
  return denseTrainerSupports({ layers: stack.layers, optimizer });
}

/**
 * A step engine over the fused dense engine; call fusedEngineVerdict first. The kernel draws dropout
 * masks from one stream seeded when it is built, so with dropout each epoch gets a fresh kernel seeded
 * from (run seed, epoch) that takes over the weights and optimizer slots exactly: an epoch's masks then
 * depend only on the seed and the epoch, and a resumed run draws the same ones as an uninterrupted run.
 */
export async function createFusedEngine(
  model: MmmlModel,
  { optimizer, seed, maxBatch, objective = CLASSIFICATION, weightDecay = 0 }: {
    optimizer: OptimizerConfig;
    seed: number;
    maxBatch: number;
    objective?: Objective;
    weightDecay?: number;
  },
): Promise<StepEngine> {
  const stack = denseStack(model);
  if (typeof stack === "string") throw new Error(`createFusedEngine: ${stack}`);
  const build = (kernelSeed: number) =>
    createDenseTrainer({
      layers: stack.layers,
      optimizer: denseOptimizer(optimizer),
      seed: kernelSeed,
      maxBatch,
      weightDecay,
      ...(objective.kind === "regression" ? { loss: { kind: objective.loss, delta: objective.delta } } : {}),
    });
  let engine = await build(seed);
  // The rate of the coming steps; a kernel rebuilt for a new epoch takes it over.
  let lr = optimizer.lr;
  // Read asynchronously, as everywhere in training: a GPU backend cannot read synchronously.
  engine.setWeights(
    await Promise.all(stack.dense.map(async (layer) => {
      const [kernel, bias] = layer.getWeights();
      return { kernel: await kernel.data() as Float32Array, bias: await bias.data() as Float32Array };
    })),
  );
  const random = stack.layers.some((layer) => layer.dropout > 0);
  const classes = model.spec.numClasses;
  const dropInputs = inputDropouts(stack.inputDropout, stack.layers[0].inDim);
  return {
    name: "fused",
    step(raw, sampleWeight, seed) {
      const batch = dropInputs(raw, seed);
      if (objective.kind === "regression") {
        return Promise.resolve({
          loss: engine.trainTargets(batch.x, batch.target!, batch.size),
          correct: null,
        });
      }
      // The engine reports only the loss; the accuracy comes from a forward pass before the update,
      // without dropout (tfjs's comes from the training forward pass, with dropout).
      const predicted = predictedClasses(engine.predict(batch.x, batch.size), classes);
      let correct = 0;
      for (let i = 0; i < batch.size; i++) if (predicted[i] === batch.y[i]) correct++;
      const loss = engine.trainBatch(batch.x, batch.y, batch.size, sampleWeight ?? undefined);
      return Promise.resolve({ loss, correct });
    },
    setLearningRate(next) {
      lr = next;
      engine.setLearningRate(lr);
    },
    predict(x, n) {
      return Promise.resolve(engine.predict(x, n));
    },
    async beginEpoch(epochSeed) {
      if (!random) return;
      const next = await build(epochSeed);
      next.setWeights(engine.getWeights());
      next.setOptimizerState(engine.getOptimizerState());
      next.setLearningRate(lr);
      engine.dispose();
      engine = next;
    },
    sync() {
      const weights = engine.getWeights();
      stack.dense.forEach((layer, i) => {
        const { kernel, bias } = weights[i];
        const tensors = [
          tf.tensor2d(kernel, [stack.layers[i].inDim, stack.layers[i].outDim]),
          tf.tensor1d(bias),
        ];
        layer.setWeights(tensors);
        tf.dispose(tensors);
      });
    },
    getOptimizerState() {
      return Promise.resolve({ name: optimizer.name, ...engine.getOptimizerState() });
    },
    setOptimizerState(state) {
      if (state.name !== optimizer.name) {
        throw new MmmlError(
          "schema_mismatch",
          `checkpoint optimizer state: training.optimizer.name is "${optimizer.name}", the checkpoint holds "${state.name}" state`,
        );
      }
      // A run saved before its first step has no slots; the fresh kernel's are already zero.
      if (state.step > 0 || state.slots.length > 0) engine.setOptimizerState(state);
      return Promise.resolve();
    },
    dispose() {
      engine.dispose();
    },
  };
}

/**
 * Inverted dropout on a batch's inputs, as tfjs's Dropout layer before the first dense layer: each value
 * kept with probability 1 - rate and scaled by 1 / (1 - rate), from a stream seeded by the step's seed.
 * Only the weights' gradients need the dropped inputs, and the kernel computes those from what it is given.
 */
function inputDropouts(rate: number, width: number): (batch: Batch, seed: number) => Batch {
  if (rate === 0) return (batch) => batch;
  const scale = 1 / (1 - rate);
  return (batch, seed) => {
    const rng = createRng(seed);
    const n = batch.size * width;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = rng.next() < rate ? 0 : batch.x[i] * scale;
    return { ...batch, x };
  };
}
