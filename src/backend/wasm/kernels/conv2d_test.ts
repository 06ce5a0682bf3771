import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { inputGradByConv } from "./conv2d_backprop_input.ts";
import { inputGradByMatMul } from "./conv_input_grad_matmul.ts";
import { compareWithCpu, convCases, seeded, type Shape4 } from "../../../../testing/cpu_parity.ts";
import { wasmBackend, WasmCalls } from "./wasm_calls.ts";

Deno.test("Conv2D, its input and filter gradients on wasm match the cpu backend over strides 1-3, same/valid/explicit pads and maps down to 1x1", async () => {
  await compareWithCpu(convCases(false), (c, i) => {
    const x = seeded(c.x, i * 3 + 1) as tf.Tensor4D, f = seeded(c.f, i * 3 + 2) as tf.Tensor4D;
    const bias = seeded([c.f[3]], i * 3 + 4);
    const y = tf.conv2d(x, f, c.s, c.pad);
    const dy = seeded(y.shape, i * 3 + 3);
    const attrs = { strides: [c.s, c.s], pad: c.pad, dataFormat: "NHWC" };
    return [
      y,
      tf.fused.conv2d({ x, filter: f, strides: c.s, pad: c.pad, bias, activation: "relu" }),
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: c.f }) as tf.Tensor,
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: f }, {
        ...attrs,
        inputShape: c.x,
      }) as tf.Tensor,
    ];
  });
});

Deno.test("conv2dTranspose on wasm matches the cpu backend and rejects an output shape no convolution maps back", async () => {
  const cases = [
    { x: [2, 4, 4, 3], out: [2, 8, 8, 5], s: 2, pad: "same" },
    { x: [2, 4, 4, 3], out: [2, 9, 9, 5], s: 2, pad: "valid" },
  ] as const;
  await compareWithCpu(cases, (c, i) => {
    const x = seeded([...c.x], i + 60) as tf.Tensor4D, f = seeded([3, 3, 5, 3], i + 61) as tf.Tensor4D;
    return [tf.conv2dTranspose(x, f, [...c.out], c.s, c.pad)];
  });
  // 'same' maps 5x5 to 5x5, not to 4x4: the built-in wasm loop read past dy and returned NaNs here.
  const x = tf.ones([1, 4, 4, 3]) as tf.Tensor4D, f = tf.ones([3, 3, 5, 3]) as tf.Tensor4D;
  assert.throws(
    () => tf.conv2dTranspose(x, f, [1, 5, 5, 5], 1, "same"),
    /expected the forward output \[1,5,5,3\]/,
  );
  tf.dispose([x, f]);
});

Deno.test("Both forms of the Conv2D input gradient match the cpu backend, also with the batch split in slices", async () => {
  const forms = ["conv", "matmul", "matmul in slices"] as const;
  const cases = convCases(false).flatMap((c) => forms.map((form) => ({ ...c, form })));
  await compareWithCpu(cases, (c, i, backend) => {
    const f = seeded(c.f, i * 3 + 2);
    const info = tf.backend_util.computeConv2DInfo(c.x as Shape4, c.f as Shape4, c.s, 1, c.pad);
    const dy = seeded([c.x[0], info.outHeight, info.outWidth, c.f[3]], i * 3 + 3);
    const attrs = { strides: [c.s, c.s], pad: c.pad, dataFormat: "NHWC", inputShape: c.x };
    if (backend === "cpu") {
      return [tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: f }, attrs) as tf.Tensor];
    }
    const ops = new WasmCalls(wasmBackend(tf.backend()));
    try {
      const matMul = tf.getKernel(tf.BatchMatMul, "wasm")!;
      const dx = c.form === "conv"
        ? inputGradByConv(ops, dy, f, info)
        : inputGradByMatMul(ops, dy, f, info, matMul, { maxCols: c.form === "matmul" ? undefined : 1 });
      return [tf.tensor(ops.heap(dx).slice(), c.x)];
    } finally {
      ops.dispose();
    }
  });
});
