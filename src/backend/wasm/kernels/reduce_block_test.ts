import * as tf from "@tensorflow/tfjs";
import { compareWithCpu, seeded } from "../../../../testing/cpu_parity.ts";

Deno.test("Sum and Mean on wasm match the cpu backend over leading, middle, trailing and scattered axes", async () => {
  const cases = [
    { shape: [4, 5, 6, 16], axis: [0, 1, 2] }, // batch norm's per-channel sums
    { shape: [4, 5, 6, 16], axis: [1, 2] }, // global average pooling
    { shape: [4, 5, 6, 16], axis: [0] },
    { shape: [4, 5, 6, 16], axis: [3] },
    { shape: [4, 5, 6, 16], axis: [0, 2] },
    { shape: [7, 9], axis: [0] },
    { shape: [3, 4], axis: [0, 1] },
  ];
  await compareWithCpu(cases, (c, i) => {
    const x = seeded(c.shape, i + 50);
    return [tf.sum(x, c.axis), tf.mean(x, c.axis, true), tf.sum(tf.cast(tf.mul(x, 10), "int32"), c.axis)];
  }, 1e-5);
});
