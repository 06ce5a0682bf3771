/**
 * The call of the vision models' bias-free, linear Conv2D layers (every conv followed by batch norm):
 * tf.conv2d in place of tfjs-layers' tf.fused.conv2d. While gradients are recorded, the fused op with a
 * linear activation runs under a customGrad that computes the input's gradient and the filter's
 * together, even where nothing below needs the input's: the stem's input is the image, and the layers
 * of a frozen prefix train nothing. tf.conv2d's gradient is one function per input, and the tape calls
 * only those on a path to a trained weight, so the stem's input gradient (about 3% of a ResNet-18 step
 * at 28x28) is no longer computed. Both ops run the same Conv2D kernels, so outputs are unchanged.
 * The layer keeps its class; serialisation and the ONNX export are untouched.
 */
import * as tf from "@tensorflow/tfjs";

type CallFn = tf.layers.Layer["call"];

/** The parts of tfjs-layers' Conv2D that its call reads. */
interface ConvInternals {
  kernel: { read(): tf.Tensor4D };
  bias: unknown;
  strides: number[];
  padding: "same" | "valid";
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string };
}

/** Replaces `layer.call` of a bias-free, linear, NHWC, undilated Conv2D as described above; else nothing. */
export function installConvCall(layer: tf.layers.Layer): boolean {
  const conv = layer as unknown as ConvInternals;
  if (
    layer.getClassName() !== "Conv2D" || conv.bias != null || conv.activation.getClassName() !== "linear" ||
    conv.dataFormat !== "channelsLast" || conv.dilationRate.some((d) => d !== 1)
  ) {
    return false;
  }
  const [sh, sw] = conv.strides;
  (layer as unknown as { call: CallFn }).call = (inputs) =>
    tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return tf.conv2d(x, conv.kernel.read(), [sh, sw], conv.padding);
    });
  return true;
}
