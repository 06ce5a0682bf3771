/**
 * Adam and momentum SGD as tf.Optimizer subclasses whose update is one fused pass per weight
 * (fused_update.ts): on the wasm backend the gradient, the slots and the weight are read once and the
 * new slots and weight written once, instead of tfjs's ~12 (Adam) or 4 (momentum) kernels that each
 * allocate and write a whole tensor. Elsewhere they run tfjs ops in tfjs's own order.
 *
 * They stand in for tf.train.adam / tf.train.momentum bit for bit: the same float32 results (Adam's
 * powers of beta are the same running float32 products), the same class names and configs, and the
 * same getWeights()/setWeights() layout ([iterations, m..., v...] and [iterations, accumulators...],
 * named `<weight>/m`, `<weight>/v`, `<weight>/momentum`), so trainer_state.ts saves and restores them
 * as it does tfjs's, and a checkpoint written by either resumes in the other.
 */
import * as tf from "@tensorflow/tfjs";
import { applyFusedUpdate, type UpdatePath, type WeightWrite } from "./fused_update.ts";
import { type AdamCoefficients, adamCoefficients, type MomentumCoefficients } from "./fused_coefficients.ts";
import { ADAM_RULE, type FusedRule, MOMENTUM_RULE } from "./fused_update_rules.ts";
import { betaPowers } from "./beta_powers.ts";

/** tfjs's optimizer slot: the variable and the name it is saved under. */
interface Slot {
  originalName: string;
  variable: tf.Variable;
}

type NamedTensor = { name: string; tensor: tf.Tensor };

/** Options of both optimizers. */
export interface FusedOptimizerOptions {
  /** How the wasm heap path writes the weights (see fused_update.ts); "fresh" unless benchmarking. */
  weights?: WeightWrite;
}

abstract class FusedOptimizer<C> extends tf.Optimizer {
  /** Which way the last update of a weight ran: "heap" on wasm, "ops" elsewhere (for tests). */
  lastPath: UpdatePath | undefined;
  readonly #rule: FusedRule<C>;
  readonly #suffixes: readonly string[];
  readonly #weights: WeightWrite;
  /** One list per slot kind (Adam: m, then v), each indexed like the gradients passed in. */
  #slots: Slot[][];

  /** The learning rate of the coming steps; starts at the config's. */
  protected rate: number;

  constructor(rule: FusedRule<C>, suffixes: readonly string[], weights: WeightWrite, learningRate: number) {
    super();
    this.rate = learningRate;
    this.#rule = rule;
    this.#suffixes = suffixes;
    this.#weights = weights;
    this.#slots = suffixes.map(() => []);
  }

  /** The scalars of the coming step. */
  protected abstract coefficients(): C;
  /** Called once a step has been applied. */
  protected abstract stepped(): void;
  /** Called when setWeights has set the iteration count. */
  protected abstract restored(iterations: number): void;

  /** The rate of the coming steps (learning-rate schedules); the saved config keeps the base rate. */
  setLearningRate(learningRate: number): void {
    this.rate = learningRate;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    const c = this.coefficients();
    const registered = tf.engine().registeredVariables;
    entries.forEach(([name, grad], i) => {
      const value = registered[name];
      // Slots come into being on first sight, even without a gradient, as tfjs's do: the layout stays put.
      this.#slots.forEach((kind, k) => {
        kind[i] ??= {
          originalName: `${name}/${this.#suffixes[k]}`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
      });
      if (grad == null) return;
      const state = [...this.#slots.map((kind) => kind[i].variable), value];
      this.lastPath = applyFusedUpdate(this.#rule, grad, state, c, { weights: this.#weights });
    });
    this.stepped();
    this.incrementIterations();
  }

  override dispose(): void {
    tf.dispose(this.#slots.flat().map((s) => s.variable));
    this.#slots = this.#suffixes.map(() => []);
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots = this.#slots.flat().map((s) => ({ name: s.originalName, tensor: s.variable as tf.Tensor }));
    return [await this.saveIterations(), ...slots];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    const perKind = values.length / this.#suffixes.length;
    if (!Number.isInteger(perKind)) {
      throw new Error(
        `${this.getClassName()}.setWeights: expected ${this.#suffixes.length} slots per weight after the ` +
          `iteration count, received ${values.length} tensors`,
      );
    }
    this.dispose();
    // The variables share the tensors' buffers; the heap path copies a slot out before writing into a
    // buffer that the caller still holds.
    this.#slots = this.#suffixes.map((_, k) =>
      values.slice(k * perKind, (k + 1) * perKind).map((v) => ({
        originalName: v.name,
        variable: v.tensor.variable(false),
      }))
    );
    this.restored(this.iterations);
  }
}

/** Adam's settings, as tf.train.adam takes them. */
export interface FusedAdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** tf.train.adam with one fused pass per weight. */
export class FusedAdam extends FusedOptimizer<AdamCoefficients> {
  /** tfjs's name for Adam: the same optimizer, so the same serialised class. */
  static className = "Adam";
  readonly config: FusedAdamConfig;
  // beta^(t+1) as float32 running products, as tfjs's accBeta variables hold them.
  #accBeta1: number;
  #accBeta2: number;

  constructor(config: FusedAdamConfig, options: FusedOptimizerOptions = {}) {
    super(ADAM_RULE, ["m", "v"], options.weights ?? "fresh", config.learningRate);
    this.config = { ...config };
    this.#accBeta1 = Math.fround(config.beta1);
    this.#accBeta2 = Math.fround(config.beta2);
  }

  protected coefficients(): AdamCoefficients {
    return adamCoefficients({ ...this.config, learningRate: this.rate }, this.#accBeta1, this.#accBeta2);
  }

  protected stepped(): void {
    this.#accBeta1 = Math.fround(this.#accBeta1 * Math.fround(this.config.beta1));
    this.#accBeta2 = Math.fround(this.#accBeta2 * Math.fround(this.config.beta2));
  }

  // tfjs's own setWeights takes pow(beta, t + 1); the running products are what an uninterrupted run
  // holds, so a restored optimizer takes the very same steps.
  protected restored(iterations: number): void {
    [this.#accBeta1, this.#accBeta2] = betaPowers(this.config.beta1, this.config.beta2, iterations);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { learningRate, beta1, beta2, epsilon } = this.config;
    return { learningRate, beta1, beta2, epsilon };
  }
}

/** Momentum SGD's settings, as tf.train.momentum takes them (without Nesterov). */
export interface FusedMomentumConfig {
  learningRate: number;
  momentum: number;
}

/** tf.train.momentum (heavy ball, no Nesterov) with one fused pass per weight. */
export class FusedMomentum extends FusedOptimizer<MomentumCoefficients> {
  /** tfjs's name for momentum SGD. */
  static className = "Momentum";
  readonly config: FusedMomentumConfig;

  constructor(config: FusedMomentumConfig, options: FusedOptimizerOptions = {}) {
    super(MOMENTUM_RULE, ["momentum"], options.weights ?? "fresh", config.learningRate);
    this.config = { ...config };
  }

  protected coefficients(): MomentumCoefficients {
    return { momentum: Math.fround(this.config.momentum), negLr: Math.fround(-this.rate) };
  }

  protected stepped(): void {}

  protected restored(): void {}

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.config.learningRate, momentum: this.config.momentum, useNesterov: false };
  }
}
