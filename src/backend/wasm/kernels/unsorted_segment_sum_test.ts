import * as tf from "@tensorflow/tfjs";
import { createRng } from "../../../random.ts";
import { compareWithCpu, seeded } from "../../../../testing/cpu_parity.ts";

Deno.test("UnsortedSegmentSum on wasm matches the cpu backend, drops out-of-range ids and backs gather's gradient", async () => {
  const cases = [{ rows: 7, inner: [3], segments: 4 }, { rows: 5, inner: [2, 3], segments: 6 }, {
    rows: 9,
    inner: [],
    segments: 3,
  }];
  await compareWithCpu(cases, (c, i) => {
    const rng = createRng(i + 10);
    const ids = tf.tensor1d(Array.from({ length: c.rows }, () => rng.int(c.segments + 2) - 1), "int32");
    const x = seeded([c.rows, ...c.inner], i + 20);
    const table = seeded([c.segments, 4], i + 30);
    const rows = tf.tensor1d(Array.from({ length: c.rows }, () => rng.int(c.segments)), "int32");
    const gatherGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, rows), 2)));
    return [tf.unsortedSegmentSum(x, ids, c.segments), gatherGrad(table)];
  });
});
