import assert from "node:assert/strict";
import { formatTick, linearScale, niceTicks, tickStep } from "./chart_scale.ts";

Deno.test("niceTicks encloses the interval with round steps", () => {
  assert.deepEqual(niceTicks(0.23, 1.41, 6), [0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6]);
  assert.deepEqual(niceTicks(1, 20, 6), [0, 5, 10, 15, 20]);
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  for (const [lo, hi] of [[-3.7, 12.2], [1e-5, 3e-5], [1000, 1e6]]) {
    const t = niceTicks(lo, hi);
    assert.ok(t[0] <= lo && t[t.length - 1] >= hi, `${t} must enclose [${lo}, ${hi}]`);
    assert.ok(t.length >= 3 && t.length <= 12, `${t.length} ticks for [${lo}, ${hi}]`);
  }
});

Deno.test("niceTicks widens a single value and refuses a non-finite interval", () => {
  assert.deepEqual(niceTicks(0, 0, 4), [-1, -0.5, 0, 0.5, 1]);
  const t = niceTicks(5, 5);
  assert.ok(t[0] < 5 && t[t.length - 1] > 5);
  assert.throws(() => niceTicks(0, NaN), /finite interval/);
});

Deno.test("tickStep is 1, 2, 2.5 or 5 times a power of ten", () => {
  assert.equal(tickStep(1, 5), 0.2);
  assert.equal(tickStep(19, 6), 5);
  assert.equal(tickStep(1.2, 5), 0.25);
  assert.equal(tickStep(0, 5), 1);
});

Deno.test("linearScale maps the domain onto the range, inverted ranges included", () => {
  const s = linearScale([0, 10], [100, 0]);
  assert.equal(s(0), 100);
  assert.equal(s(10), 0);
  assert.equal(s(2.5), 75);
  assert.equal(linearScale([3, 3], [0, 50])(3), 25);
});

Deno.test("formatTick prints as few decimals as a tick needs", () => {
  assert.equal(formatTick(0.25), "0.25");
  assert.equal(formatTick(1), "1");
  assert.equal(formatTick(1.5), "1.5");
  assert.equal(formatTick(-0), "0");
  assert.equal(formatTick(0.30000000000000004), "0.3");
});
