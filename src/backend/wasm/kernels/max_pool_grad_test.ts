import * as tf from "@tensorflow/tfjs";
import { compareWithCpu, seeded } from "../../../../testing/cpu_parity.ts";

Deno.test("MaxPool's gradient on wasm matches the cpu backend, ties and padding included", async () => {
  const cases = [
    { shape: [2, 7, 8, 3], size: 3, s: 2, pad: "same" },
    { shape: [2, 8, 8, 5], size: 2, s: 2, pad: "valid" },
    { shape: [2, 6, 7, 4], size: 3, s: 1, pad: "same" },
    { shape: [1, 5, 5, 2], size: 3, s: 2, pad: "valid", ties: true },
    // Four channels at a time in pool_kernel.c, and the leftover two one by one.
    { shape: [2, 7, 8, 6], size: 3, s: 2, pad: "same", ties: true },
    { shape: [2, 9, 9, 16], size: 3, s: 2, pad: "same" },
  ] as const;
  await compareWithCpu(cases, (c, i) => {
    const values = seeded([...c.shape], i + 70);
    const x = ("ties" in c ? tf.round(tf.mul(values, 2)) : values) as tf.Tensor4D; // repeated maxima
    const grad = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, c.size, c.s, c.pad), 3))
    );
    return [grad(x)];
  });
});
