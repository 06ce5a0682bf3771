/**
 * Adam's and momentum SGD's per-weight update rules, each written three ways that give the same float32
 * bits as tfjs's own optimizers (tf.train.adam, tf.train.momentum in tfjs-core 4.22):
 * - `simd`: the wasm SIMD module over the tfjs wasm heap (fused_update_wasm.ts), the fast path;
 * - `scalar`: a JS loop that rounds every intermediate to float32, for the last count % 4 weights;
 * - `ops`: tfjs ops in tfjs's own order, for backends whose memory cannot be reached (webgpu, ...).
 * A rule's state is its slots then the weight: Adam [m, v, w], momentum [accumulator, w].
 */
import * as tf from "@tensorflow/tfjs";
import type { AdamCoefficients, MomentumCoefficients } from "./fused_coefficients.ts";
import type { WasmUpdates } from "./fused_update_wasm.ts";

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
