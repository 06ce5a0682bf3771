/**
 * A fused training engine for stacks of dense layers (the MLP). At small batch sizes tfjs spends its
 * time dispatching ~100 kernels per step, not computing; this engine runs one whole step (forward,
 * softmax cross-entropy, backward, optimizer update) in a single call into a SIMD wasm module, with
 * the weights resident in wasm memory. The Trainer uses it when the model is a plain dense stack and
 * the backend is a CPU one, and copies weights back into the tfjs model for evaluation and saving.
 */
export type DenseActivation = "relu" | "tanh" | "sigmoid" | "linear" | "elu" | "selu" | "gelu" | "swish";

export interface DenseLayerSpec {
  inDim: number;
  outDim: number;
  /** Activation after this layer; the last layer is followed by softmax instead. */
  activation: DenseActivation;
  /** Inverted dropout rate applied after the activation during training (0 = none). */
  dropout: number;
}

export type DenseOptimizer =
  | { name: "adam"; lr: number; beta1: number; beta2: number; epsilon: number }
  | { name: "sgd"; lr: number; momentum: number };

export interface DenseTrainerOptions {
  layers: DenseLayerSpec[];
  optimizer: DenseOptimizer;
  /** Seed for the dropout masks. */
  seed: number;
  /** Largest batch that will be passed to trainBatch/predict. */
  maxBatch: number;
  /**
   * A regression loss over the last layer's single output, instead of softmax cross-entropy; the
   * trainer then takes targets (trainTargets) and predict gives the output itself.
   */
  loss?: { kind: "mse" | "huber"; delta: number };
  /** L2 weight decay: every kernel's gradient gets weightDecay * W (as torch's Adam weight_decay). */
  weightDecay?: number;
}

export interface DenseTrainer {
  /** Kernel [in, out] (row-major, as tfjs Dense) and bias [out] per layer, in layer order. */
  setWeights(weights: { kernel: Float32Array; bias: Float32Array }[]): void;
  getWeights(): { kernel: Float32Array; bias: Float32Array }[];
  /**
   * One optimizer step on a batch. `x` is [n, in0] row-major, `y` class indices, `sampleWeight` optional
   * per-row weights (class weights). Loss = sum(w_i * CE_i) / sum(w_i) when weighted, else mean CE.
   * Returns that loss (computed before the update).
   */
  trainBatch(x: Float32Array, y: Int32Array, n: number, sampleWeight?: Float32Array): number;
  /** One optimizer step on a batch of regression targets `t` [n]; returns the loss before the update. */
  trainTargets(x: Float32Array, t: Float32Array, n: number): number;
  /** Probabilities [n, classes] row-major (no dropout); for regression the output [n]. */
  predict(x: Float32Array, n: number): Float32Array;
  /** Optimizer state (Adam moments / momentum, step count) for checkpoints and resume. */
  getOptimizerState(): { step: number; slots: Float32Array[] };
  setOptimizerState(state: { step: number; slots: Float32Array[] }): void;
  setLearningRate(lr: number): void;
  dispose(): void;
}
