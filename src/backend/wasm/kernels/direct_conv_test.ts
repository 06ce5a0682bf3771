import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../choose.ts";
import { registerWasmKernels } from "../register_kernels.ts";
import { compareWithCpu, EXPLICIT, type Pad, seeded, type Shape4 } from "../../../../testing/cpu_parity.ts";
import { convForm, convModule, directConvConfig, MIN_CHANNELS, takesConv } from "./direct_conv.ts";
import { wasmBackend } from "./wasm_calls.ts";

/** Shapes the direct kernels take: ResNet-like maps where padding taps dominate, strides 1-2, odd channels. */
const CASES: { x: Shape4; f: Shape4; s: number; pad: Pad }[] = [
  { x: [3, 7, 7, 16], f: [3, 3, 16, 16], s: 1, pad: "same" },
  { x: [2, 2, 2, 32], f: [3, 3, 32, 24], s: 1, pad: "same" },
  { x: [2, 1, 1, 16], f: [3, 3, 16, 8], s: 1, pad: "same" },
  { x: [2, 9, 9, 8], f: [3, 3, 8, 20], s: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { x: [2, 6, 5, 12], f: [1, 1, 12, 36], s: 2, pad: "valid" },
  { x: [1, 8, 8, 9], f: [5, 4, 9, 7], s: 3, pad: EXPLICIT },
  { x: [2, 5, 5, 8], f: [3, 3, 8, 6], s: 1, pad: "valid" },
  // Fewer than MIN_CHANNELS input channels: the im2col form. An RGB 7x7/2 stem over more outputs than one
  // 512-row chunk, a 3-column filter product (leftover columns), odd strides and explicit pads.
  { x: [3, 20, 20, 3], f: [7, 7, 3, 16], s: 2, pad: [[0, 0], [3, 3], [3, 3], [0, 0]] },
  { x: [2, 9, 8, 1], f: [3, 3, 1, 3], s: 1, pad: "same" },
  { x: [1, 8, 8, 5], f: [5, 4, 5, 12], s: 3, pad: EXPLICIT },
];

const fail: tf.KernelConfig = {
  kernelName: "none",
  backendName: "wasm",
  kernelFunc: () => {
    throw new Error("the previous kernel ran: the direct kernel declined");
  },
};

Deno.test("Convolution kernels take dense NHWC convolutions: the direct form from 8 input channels, im2col below", async () => {
  await useBackend("wasm");
  const info = (x: Shape4, f: Shape4) => tf.backend_util.computeConv2DInfo(x, f, 1, 1, "same");
  assert.equal(MIN_CHANNELS, 8);
  assert.ok(takesConv(info([2, 8, 8, 16], [3, 3, 16, 16])));
  assert.equal(convForm(info([2, 8, 8, 16], [3, 3, 16, 16])), "direct");
  assert.ok(takesConv(info([2, 32, 32, 3], [7, 7, 3, 64])));
  assert.equal(convForm(info([2, 32, 32, 3], [7, 7, 3, 64])), "im2col");
  assert.ok(!takesConv(tf.backend_util.computeConv2DInfo([2, 8, 8, 16], [3, 3, 16, 16], 1, 2, "same")));
  assert.notEqual(convModule(wasmBackend(tf.backend())), null, "conv_kernel.wasm did not load");
});

Deno.test("Convolution kernels, direct and im2col: forward (plain, bias, bias + ReLU), input and filter gradients match the cpu backend", async () => {
  await compareWithCpu(CASES, (c, i, backend) => {
    const x = seeded(c.x, i * 5 + 1) as tf.Tensor4D, f = seeded(c.f, i * 5 + 2) as tf.Tensor4D;
    const bias = seeded([c.f[3]], i * 5 + 3);
    const y = tf.conv2d(x, f, c.s, c.pad);
    const dy = seeded(y.shape, i * 5 + 4);
    const attrs = { strides: [c.s, c.s], pad: c.pad, dataFormat: "NHWC", dilations: [1, 1] };
    const run = (name: string, inputs: tf.NamedTensorMap, extra: tf.NamedAttrMap) => {
      if (backend === "cpu") return tf.engine().runKernel(name, inputs, { ...attrs, ...extra }) as tf.Tensor;
      // On wasm, call the direct kernel with a previous kernel that throws: a declined shape fails here.
      const kernel = directConvConfig({ ...fail, kernelName: name });
      const info = kernel.kernelFunc({ inputs, attrs: { ...attrs, ...extra }, backend: tf.backend() });
      return tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
    };
    return [
      run(tf.Conv2D, { x, filter: f }, {}),
      run(tf.FusedConv2D, { x, filter: f, bias }, { activation: "linear" }),
      run(tf.FusedConv2D, { x, filter: f, bias }, { activation: "relu" }),
      run(tf.Conv2DBackpropInput, { dy, filter: f }, { inputShape: c.x }),
      run(tf.Conv2DBackpropFilter, { x, dy }, { filterShape: c.f }),
    ];
  });
});

Deno.test("Convolution kernels decline what they do not compute: other activations, dilation, channels first", async () => {
  await useBackend("wasm");
  registerWasmKernels();
  const x = seeded([1, 6, 6, 8], 1), f = seeded([3, 3, 8, 8], 2), bias = seeded([8], 3);
  const declined = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) =>
    assert.throws(
      () =>
        directConvConfig({ ...fail, kernelName: name }).kernelFunc({ inputs, attrs, backend: tf.backend() }),
      /the previous kernel ran/,
    );
  const attrs = { strides: [1, 1], pad: "same", dataFormat: "NHWC" };
  declined(tf.FusedConv2D, { x, filter: f, bias }, { ...attrs, activation: "elu" });
  declined(tf.Conv2D, { x, filter: f }, { ...attrs, dilations: [2, 2] });
  declined(tf.Conv2D, { x, filter: f }, { ...attrs, dataFormat: "NCHW" });
  tf.dispose([x, f, bias]);
});

Deno.test("Direct convolution kernels give the same results on the threaded build's shared memory", async () => {
  const conv = async () => {
    registerWasmKernels();
    const out = tf.tidy(() => {
      const x = seeded([4, 7, 7, 16], 11) as tf.Tensor4D, f = seeded([3, 3, 16, 32], 12) as tf.Tensor4D;
      return tf.conv2d(x, f, 1, "same");
    });
    const values = await out.data();
    out.dispose();
    return values;
  };
  await useBackend("wasm");
  const single = await conv();
  try {
    await useBackend("wasm", { threads: 2 });
    assert.notEqual(convModule(wasmBackend(tf.backend())), null, "conv_kernel_shared.wasm did not load");
    const threaded = await conv();
    single.forEach((v, i) =>
      assert.ok(Math.abs(v - threaded[i]) < 1e-5, `value ${i}: ${v} vs ${threaded[i]}`)
    );
  } finally {
    await useBackend("wasm");
  }
});

Deno.test("conv_kernel.wasm imports only the backend's memory and writes no data segment into it", async () => {
  for (const file of ["conv_kernel.wasm", "conv_kernel_shared.wasm"]) {
    const bytes = await Deno.readFile(new URL(`../${file}`, import.meta.url));
    const module = new WebAssembly.Module(bytes);
    assert.deepEqual(WebAssembly.Module.imports(module), [{ module: "env", name: "memory", kind: "memory" }]);
    // Walk the sections: id 11 (data) would be copied into tfjs's heap at instantiation.
    const ids: number[] = [];
    for (let p = 8; p < bytes.length;) {
      ids.push(bytes[p++]);
      let len = 0, shift = 0, byte;
      do {
        byte = bytes[p++];
        len |= (byte & 0x7f) << shift;
        shift += 7;
      } while (byte & 0x80);
      p += len;
    }
    assert.ok(!ids.includes(11) && !ids.includes(12), `${file} has a data section: ${ids}`);
  }
});
