import * as tf from "@tensorflow/tfjs";
import { compareWithCpu, convCases, seeded } from "../../../../testing/cpu_parity.ts";

Deno.test("Depthwise conv input and filter gradients on wasm match the cpu backend, channel multiplier 1 and 2", async () => {
  await compareWithCpu(convCases(true), (c, i) => {
    const x = seeded(c.x, i * 3 + 1), f = seeded(c.f, i * 3 + 2);
    const y = tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad as "same" | "valid");
    const dy = seeded(y.shape, i * 3 + 3);
    const attrs = { strides: [c.s, c.s], pad: c.pad, dilations: [1, 1] };
    return [
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, {
        ...attrs,
        filterShape: c.f,
      }) as tf.Tensor,
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: f }, {
        ...attrs,
        inputShape: c.x,
      }) as tf.Tensor,
    ];
  });
});
