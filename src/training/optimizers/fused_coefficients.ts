/**
 * The per-step scalars of Adam and momentum SGD, as float32 values the way tfjs's scalar tensors hold
 * them: what every form of the fused update rules (fused_update_rules.ts, the wasm module in
 * fused_update_wasm.ts) takes for one step.
 */

const fr = Math.fround;

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
