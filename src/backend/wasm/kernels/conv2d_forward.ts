/**
 * Conv2D and FusedConv2D for the wasm backend on small feature maps. The built-ins hand the whole filter
 * to XNNPACK, which repacks it whenever the weights change (every training step) and multiplies every
 * tap, also those that only ever read padding: a 3x3 'same' convolution on a 1x1 map (ResNet-18's last
 * stage at 28x28) uses its centre tap alone. These wrappers cut the filter down to the used taps and
 * adjust the padding; otherwise they call the built-in untouched.
 */
import * as tf from "@tensorflow/tfjs";
import { cropNegativePads, cropToUsedTaps, filterGradPads } from "./conv_geometry.ts";
import { wasmBackend, WasmCalls } from "./wasm_calls.ts";

function croppingConv(builtIn: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
    const dilations = (attrs.dilations as number | [number, number] | undefined) ?? 1;
    if (dataFormat !== "NHWC" || (dilations !== 1 && (dilations as number[]).some((d) => d !== 1))) {
      return builtIn.kernelFunc(args);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides as [number, number],
      1,
      attrs.pad as "same" | "valid",
      attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    );
    const used = cropToUsedTaps(info);
    if (used.full || used.kh === 0 || used.kw === 0) return builtIn.kernelFunc(args);
    const ops = new WasmCalls(wasmBackend(backend));
    try {
      const taps = ops.slice(filter, [used.kh0, used.kw0, 0, 0], [
        used.kh,
        used.kw,
        info.inChannels,
        info.outChannels,
      ]);
      const { x: input, pads: [t, b, l, r] } = cropNegativePads(ops, x, filterGradPads(used.info));
      const pad = [[0, 0], [t, b], [l, r], [0, 0]] as unknown as tf.NamedAttrMap[string];
      return ops.keep(
        ops.run(builtIn.kernelName, { ...inputs, x: input, filter: taps }, { ...attrs, pad }, builtIn),
      );
    } finally {
      ops.dispose();
    }
  };
}

/** Wraps the built-in Conv2D or FusedConv2D as above, keeping its setup. */
export function croppingConvConfig(builtIn: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: builtIn.kernelName,
    backendName: "wasm",
    setupFunc: builtIn.setupFunc,
    kernelFunc: croppingConv(builtIn),
  };
}
