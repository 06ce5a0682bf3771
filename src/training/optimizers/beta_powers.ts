/**
 * Adam's bias-correction powers as tfjs accumulates them, shared by the fused optimizer and the restore of a
 * saved optimizer state.
 */

/** beta^(step + 1) as float32 products, one multiply a step, as tfjs's Adam accumulates them. */
export function betaPowers(beta1: number, beta2: number, step: number): [number, number] {
  const b1 = Math.fround(beta1), b2 = Math.fround(beta2);
  let p1 = b1, p2 = b2;
  for (let k = 0; k < step; k++) [p1, p2] = [Math.fround(p1 * b1), Math.fround(p2 * b2)];
  return [p1, p2];
}
