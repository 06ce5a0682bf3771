import * as tf from "@tensorflow/tfjs";
import { compareWithCpu, seeded } from "../../../../testing/cpu_parity.ts";

Deno.test("BatchMatMul and _FusedMatMul on wasm match the cpu backend: transposed, batched, shared and with a bias", async () => {
  const cases = [];
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    for (
      const [batchA, batchB, m, k, n] of [
        [[], [], 5, 7, 3],
        [[2], [2], 4, 6, 5],
        [[3], [3], 1, 8, 9],
        [[2, 2], [2, 2], 3, 4, 2],
        [[3], [1], 4, 5, 6], // shared right-hand matrix
        [[1], [3], 4, 5, 6],
        [[2], [2], 40, 30, 50], // big enough to go item by item
      ] as const
    ) cases.push({ ta, tb, batchA: [...batchA], batchB: [...batchB], m, k, n });
  }
  await compareWithCpu(cases, (c, i) => {
    const a = seeded([...c.batchA, ...(c.ta ? [c.k, c.m] : [c.m, c.k])], i * 4 + 1);
    const b = seeded([...c.batchB, ...(c.tb ? [c.n, c.k] : [c.k, c.n])], i * 4 + 2);
    const bias = seeded([c.n], i * 4 + 3);
    const alpha = seeded([c.n], i * 4 + 4);
    const a3 = tf.reshape(a, [-1, ...a.shape.slice(-2)]), b3 = tf.reshape(b, [-1, ...b.shape.slice(-2)]);
    const fused = { a: a3, b: b3, transposeA: c.ta, transposeB: c.tb };
    return [
      tf.matMul(a, b, c.ta, c.tb),
      tf.fused.matMul({ ...fused, bias, activation: "relu" }), // batched + bias: a built-in bug on wasm
      tf.fused.matMul({ ...fused, bias, activation: "prelu", preluActivationWeights: alpha }),
      tf.fused.matMul({ ...fused, activation: "sigmoid" }),
    ];
  });
});
