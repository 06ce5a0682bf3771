/**
 * The call of the vision models' swish Activation layers: one op forward and one backward
 * (backend/swish_op.ts) where the backend has it, else tfjs-layers' own mul(sigmoid(mul(x, 1)), x).
 * The layer keeps its class, so serialisation and the ONNX export see a plain Activation("swish").
 */
import type * as tf from "@tensorflow/tfjs";
import { swish, swishApplies } from "../backend/swish_op.ts";

type CallFn = tf.layers.Layer["call"];

/** Replaces `layer.call` of an Activation("swish") layer as described above. */
export function installSwishCall(layer: tf.layers.Layer): void {
  const inherited = Object.getPrototypeOf(layer).call as CallFn;
  (layer as unknown as { call: CallFn }).call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return swishApplies(x) ? swish(x) : inherited.call(layer, inputs, kwargs);
  };
}
