import assert from "node:assert/strict";
import { deriveSeed } from "./random.ts";

Deno.test("deriveSeed is stable and separates nearby inputs", () => {
  assert.equal(deriveSeed(42, 1, 2), deriveSeed(42, 1, 2));
  const seeds = new Set<number>();
  for (let epoch = 0; epoch < 50; epoch++) {
    for (let step = 0; step < 50; step++) seeds.add(deriveSeed(42, epoch, step));
  }
  assert.equal(seeds.size, 2500);
  assert.notEqual(deriveSeed(42, 1), deriveSeed(42, 1, 0));
  assert.notEqual(deriveSeed(42), deriveSeed(43));
});
