import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compareWithCpu, seeded } from "../../../../testing/cpu_parity.ts";

Deno.test("Cast on wasm matches the cpu backend, casts to bool as x != 0 and keeps clones independent", async () => {
  const dtypes = ["float32", "int32", "bool"] as const;
  const cases = dtypes.flatMap((from) => dtypes.map((to) => ({ from, to })));
  await compareWithCpu(cases, (c, i) => {
    const values = tf.mul(seeded([3, 5], i + 80), 6); // includes values in (-1, 1) and below -1
    const x = c.from === "bool" ? tf.greater(values, 0) : tf.cast(values, c.from);
    return [tf.cast(tf.cast(x, c.to), "float32"), tf.cast(tf.clone(x), "float32")];
  }, 0);
  const x = tf.tensor1d([1, 2, 3]);
  const copy = tf.clone(x);
  x.dispose(); // the shared buffer lives on while the clone does
  assert.deepEqual(Array.from(await copy.data()), [1, 2, 3]);
  copy.dispose();
});
