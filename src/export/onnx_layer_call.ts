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

/**
 * Every weight's values, read ahead of the export (readWeightValues): a GPU backend (webgpu under Deno)
 * cannot read a tensor synchronously, and the conversion itself is synchronous.
 */
export type WeightValues = ReadonlyMap<tf.LayerVariable, Float32Array>;

/** What a converter gets: the graph, the layer, its input values and the tfjs output shapes. */
export interface LayerCall {
  g: OnnxGraph;
  layer: Layer;
  inputs: GraphValue[];
  outputShapes: Shape[];
  /** Pre-read weight values; without them weights are read synchronously (CPU backends only). */
  weights?: WeightValues;
}

/** Reads every weight of `net` (nested models included) asynchronously, for exportOnnx's `weights`. */
export async function readWeightValues(net: tf.LayersModel): Promise<WeightValues> {
  const variables = net.weights;
  const values = await Promise.all(variables.map((v) => v.read().data()));
  return new Map(variables.map((v, i) => [v, Float32Array.from(values[i] as Float32Array)]));
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

/**
 * The called layer's weight whose name ends in `/suffix`, as float32 values (no tensors are created):
 * from `call.weights` when the export was given them, else read synchronously.
 */
export function weight(call: LayerCall, suffix: string): { data: Float32Array; shape: number[] } {
  const { layer } = call;
  const w = layer.weights.find((v) => v.originalName.endsWith(`/${suffix}`) || v.originalName === suffix);
  if (!w) throw unsupported(layer, `it has no "${suffix}" weight (was the model built?)`);
  let data = call.weights?.get(w);
  if (call.weights && !data) {
    throw new Error(`weight "${w.name}" of layer "${layer.name}" is missing from the pre-read weight values`);
  }
  data ??= w.read().dataSync() as Float32Array;
  return { data, shape: w.shape as number[] };
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
