/**
 * What every layer converter shares: the call it converts, access to the layer's config and weights,
 * its fused activation, and the "unsupported" error that names the layer.
 */
import type * as tf from "@tensorflow/tfjs";
import { MmmlError } from "../errors.ts";
import { ACTIVATIONS, isKnownActivation } from "./onnx_activations.ts";
import type { GraphValue, OnnxGraph } from "./onnx_graph.ts";

/** A tfjs layer. */
export type Layer = tf.layers.Layer;
/** A tfjs shape; null where unknown (the batch dimension). */
export type Shape = (number | null)[];

/** What a converter gets: the graph, the layer, its input values and the tfjs output shapes. */
export interface LayerCall {
  g: OnnxGraph;
  layer: Layer;
  inputs: GraphValue[];
  outputShapes: Shape[];
}

/** Emits the nodes of one layer call and returns its output value. */
export type Converter = (call: LayerCall) => GraphValue;

/** The layer's serialised config (the Keras JSON fields). */
// deno-lint-ignore no-explicit-any
export const config = (layer: Layer): Record<string, any> => layer.getConfig();

/** The "unsupported" error naming the layer, its class and what is missing. */
export const unsupported = (layer: Layer, what: string) =>
  new MmmlError(
    "unsupported",
    `Cannot export layer "${layer.name}" (${layer.getClassName()}) to ONNX: ${what}`,
  );

/** The layer's weight whose name ends in `/suffix`, as float32 values (no tensors are created). */
export function weight(layer: Layer, suffix: string): { data: Float32Array; shape: number[] } {
  const w = layer.weights.find((v) => v.originalName.endsWith(`/${suffix}`) || v.originalName === suffix);
  if (!w) throw unsupported(layer, `it has no "${suffix}" weight (was the model built?)`);
  return { data: w.read().dataSync() as Float32Array, shape: w.shape as number[] };
}

/** Applies the layer's fused `activation` config, if any. */
export function activate(call: LayerCall, x: GraphValue, name: string | undefined): GraphValue {
  const act = name ?? "linear";
  if (!isKnownActivation(act)) throw unsupported(call.layer, `activation "${act}" has no ONNX form here`);
  return ACTIVATIONS[act](call.g, x, call.layer.name);
}

/** The single input of a one-input layer. */
export const one = (call: LayerCall) => call.inputs[0];
/** `x` renamed (and reshaped), keeping its layout. */
export const withName = (x: GraphValue, name: string, shape: Shape = x.shape): GraphValue => ({
  ...x,
  name,
  shape,
});
