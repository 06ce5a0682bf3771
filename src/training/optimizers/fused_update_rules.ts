/**
 * Adam's and momentum SGD's per-weight update rules, each written three ways that give the same float32
 * bits as tfjs's own optimizers (tf.train.adam, tf.train.momentum in tfjs-core 4.22):
 * - `simd`: the wasm SIMD module over the tfjs wasm heap (fused_update_wasm.ts), the fast path;
 * - `scalar`: a JS loop that rounds every intermediate to float32, for the last count % 4 weights;
 * - `ops`: tfjs ops in tfjs's own order, for backends whose memory cannot be reached (webgpu, ...).
 * A rule's state is its slots then the weight: Adam [m, v, w], momentum [accumulator, w].
 */
import * as tf from "@tensorflow/tfjs";
import type { WasmUpdates } from "./fused_update_wasm.ts";

/** Adam's scalars for one step, each a float32 value as tfjs's scalar tensors hold them. */
export interface AdamCoefficients {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** 1 - beta1^t, with beta1^t the float32 running product tfjs keeps. */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  epsilon: number;
  negLr: number;
}

/** Momentum SGD's scalars, float32 values. */
export interface MomentumCoefficients {
  momentum: number;
  negLr: number;
}

/** One update rule over a gradient and a state (the rule's slots, then the weight). */
export interface FusedRule<C> {
  /** Slot arrays per weight. */
  slots: number;
  /** `count` (a multiple of 4) elements at byte addresses; `out[k]` may equal `state[k]`. */
  simd(updates: WasmUpdates, g: number, state: number[], out: number[], count: number, c: C): void;
  /** Elements [from, to); `out[k]` may be `state[k]` itself. */
  scalar(g: Float32Array, state: Float32Array[], out: Float32Array[], from: number, to: number, c: C): void;
  /** The new state as tensors (call inside tf.tidy). */
  ops(g: tf.Tensor, state: tf.Tensor[], c: C): tf.Tensor[];
}

const fr = Math.fround;

/** Adam (Kingma & Ba) as tfjs computes it: bias correction by division, epsilon outside the root. */
export const ADAM_RULE = Object.freeze<FusedRule<AdamCoefficients>>({
  slots: 2,
  simd(updates, g, [m, v, w], [mOut, vOut, wOut], count, c) {
    updates.adam(g, m, v, w, mOut, vOut, wOut, count, c);
  },
  scalar(g, [m, v, w], [mOut, vOut, wOut], from, to, c) {
    for (let i = from; i < to; i++) {
      const gi = g[i];
      const mi = fr(fr(m[i] * c.beta1) + fr(gi * c.oneMinusBeta1));
      const vi = fr(fr(v[i] * c.beta2) + fr(fr(gi * gi) * c.oneMinusBeta2));
      const denominator = fr(fr(Math.sqrt(fr(vi / c.oneMinusAccBeta2))) + c.epsilon);
      const step = fr(fr(fr(mi / c.oneMinusAccBeta1) / denominator) * c.negLr);
      mOut[i] = mi;
      vOut[i] = vi;
      wOut[i] = step + w[i];
    }
  },
  ops(g, [m, v, w], c) {
    const m2 = tf.add(tf.mul(m, c.beta1), tf.mul(g, c.oneMinusBeta1));
    const v2 = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), c.oneMinusBeta2));
    const denominator = tf.add(tf.sqrt(tf.div(v2, c.oneMinusAccBeta2)), c.epsilon);
    return [m2, v2, tf.add(tf.mul(tf.div(tf.div(m2, c.oneMinusAccBeta1), denominator), c.negLr), w)];
  },
});

/** Heavy-ball momentum as tfjs computes it (no Nesterov): a' = momentum*a + g; w' = -lr*a' + w. */
export const MOMENTUM_RULE = Object.freeze<FusedRule<MomentumCoefficients>>({
  slots: 1,
  simd(updates, g, [a, w], [aOut, wOut], count, c) {
    updates.momentum(g, a, w, aOut, wOut, count, c.momentum, c.negLr);
  },
  scalar(g, [a, w], [aOut, wOut], from, to, c) {
    for (let i = from; i < to; i++) {
      const ai = fr(fr(a[i] * c.momentum) + g[i]);
      aOut[i] = ai;
      wOut[i] = fr(ai * c.negLr) + w[i];
    }
  },
  ops(g, [a, w], c) {
    const a2 = tf.add(tf.mul(c.momentum, a), g);
    return [a2, tf.add(tf.mul(c.negLr, a2), w)];
  },
});

/** Adam's coefficients for the step after `accBeta1/2` (the running float32 powers of the betas). */
export function adamCoefficients(
  { learningRate, beta1, beta2, epsilon }: {
    learningRate: number;
    beta1: number;
    beta2: number;
    epsilon: number;
  },
  accBeta1: number,
  accBeta2: number,
): AdamCoefficients {
  // tfjs turns each JS number into a float32 scalar: 1 - beta is taken in double first, then rounded.
  return {
    beta1: fr(beta1),
    oneMinusBeta1: fr(1 - beta1),
    beta2: fr(beta2),
    oneMinusBeta2: fr(1 - beta2),
    oneMinusAccBeta1: fr(1 - accBeta1),
    oneMinusAccBeta2: fr(1 - accBeta2),
    epsilon: fr(epsilon),
    negLr: fr(-learningRate),
  };
}
