import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../choose.ts";
import { registerWasmKernels } from "../register_kernels.ts";
import { batchNormTrain, batchNormTrainApplies } from "../../batch_norm_op.ts";
import { compareWithCpu, seeded } from "../../../../testing/cpu_parity.ts";

// 16-channel blocks, 4-channel leftovers (20, 12), a rank-2 input and more rows than one sum block (256).
const SHAPES = [[3, 5, 5, 16], [2, 3, 3, 20], [7, 12], [2, 16, 16, 4]];

/** What tfjs-layers computes in training mode: tf.moments, then batchNorm. */
function stock(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor[] {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return [tf.batchNorm(x, mean, variance, beta, gamma, eps), mean, variance];
}

Deno.test("Fused batch norm training forward and gradients match tf.moments + batchNorm on the cpu backend", async () => {
  await compareWithCpu(SHAPES, (shape, i, backend) => {
    const c = shape[shape.length - 1];
    const x = tf.add(tf.mul(seeded(shape, i * 4 + 1), 3), 0.7), w = seeded(shape, i * 4 + 2);
    const gamma = tf.add(seeded([c], i * 4 + 3), 1), beta = seeded([c], i * 4 + 4);
    const bn = backend === "cpu" ? stock : batchNormTrain;
    if (backend === "wasm") assert.ok(batchNormTrainApplies(x));
    const [y, mean, variance] = bn(x, gamma, beta, 1e-5);
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(bn(a, g, b, 1e-5)[0], w))
    );
    return [y, mean, variance, ...grads([x, gamma, beta])];
  });
});

Deno.test("Fused batch norm applies on wasm to float32 inputs whose channels divide by 4, and not elsewhere", async () => {
  await useBackend("wasm");
  registerWasmKernels();
  const ok = tf.zeros([2, 3, 3, 8]), odd = tf.zeros([2, 3, 3, 6]), ints = tf.zeros([2, 8], "int32");
  assert.deepEqual([ok, odd, ints].map(batchNormTrainApplies), [true, false, false]);
  await useBackend("cpu");
  assert.equal(batchNormTrainApplies(ok), false);
  tf.dispose([ok, odd, ints]);
  await useBackend("wasm");
});
