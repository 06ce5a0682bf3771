import * as tf from "@tensorflow/tfjs";
import { compareWithCpu, seeded } from "../../../../testing/cpu_parity.ts";

Deno.test("Tile on wasm matches the cpu backend for float, int and bool tensors", async () => {
  const cases = [
    { shape: [1, 1, 1, 5], reps: [2, 3, 4, 1], dtype: "float32" },
    { shape: [2, 3], reps: [3, 2], dtype: "float32" },
    { shape: [3, 1, 2], reps: [1, 4, 3], dtype: "int32" },
    { shape: [4], reps: [3], dtype: "bool" },
    { shape: [2, 2], reps: [1, 1], dtype: "float32" },
    { shape: [2, 3], reps: [0, 2], dtype: "float32" },
  ] as const;
  await compareWithCpu(cases, (c, i) => {
    const values = tf.mul(seeded([...c.shape], i + 40), 10);
    // wasm's own float->bool Cast keeps bytes like 254, so booleans come from a comparison.
    const x = c.dtype === "bool" ? tf.greater(values, 0) : tf.cast(values, c.dtype);
    return [tf.cast(tf.tile(x, [...c.reps]), "float32")];
  }, 0);
});
