import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { classWeights } from "./class_weights.ts";

Deno.test("classWeights 'none' means unweighted", () => {
  assert.equal(classWeights(Int32Array.from([0, 1]), 2, "none", ["a", "b"]), null);
});

Deno.test("classWeights 'balanced' is n / (k * count) as sklearn", () => {
  const w = classWeights(Int32Array.from([0, 0, 0, 1]), 2, "balanced", ["a", "b"]);
  assert.deepEqual(Array.from(w!), [Math.fround(4 / 6), 2]);
  // sklearn compute_class_weight("balanced", classes=[0,1,2], y=[0,0,1,1,1,1,2,2]) = [1.3333, 0.6667, 1.3333]
  const three = classWeights(Int32Array.from([0, 0, 1, 1, 1, 1, 2, 2]), 3, "balanced", ["a", "b", "c"]);
  assert.deepEqual(Array.from(three!), [8 / 6, 8 / 12, 8 / 6].map(Math.fround));
});

Deno.test("classWeights 'balanced' leaves a class without rows at 1", () => {
  const w = classWeights(Int32Array.from([0, 0, 1, 1, 1, 1]), 3, "balanced", ["a", "b", "c"]);
  assert.deepEqual(Array.from(w!), [1, 0.5, 1]);
});

Deno.test("classWeights takes a map by class name; classes not named keep 1", () => {
  const w = classWeights(Int32Array.from([0, 1, 2]), 3, { Gentoo: 3, Adelie: 0.5 }, [
    "Adelie",
    "Chinstrap",
    "Gentoo",
  ]);
  assert.deepEqual(Array.from(w!), [0.5, 1, 3]);
});

Deno.test("classWeights names an unknown class in the map", () => {
  assert.throws(
    () => classWeights(Int32Array.from([0, 1]), 2, { Gentoo: 2 }, ["Adelie", "Chinstrap"]),
    (e: unknown) => {
      assert.ok(e instanceof MmmlError);
      assert.equal(e.code, "config_invalid");
      assert.equal(
        e.message,
        'training.class_weights: expected a class name ("Adelie", "Chinstrap"), received unknown class "Gentoo"',
      );
      return true;
    },
  );
});
