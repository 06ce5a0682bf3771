/**
 * One converter per TensorFlow.js layer class: reads the layer's config and weights and emits ONNX
 * nodes. Convolutions and pools run channels-first (onnx_spatial_layers.ts); everything else keeps the
 * tfjs layout, and OnnxGraph.layout inserts the transposes where the two meet.
 */
import { ACTIVATIONS } from "./onnx_activations.ts";
import { attr, type GraphValue } from "./onnx_graph.ts";
import {
  activate,
  config,
  type Converter,
  type LayerCall,
  one,
  unsupported,
  weight,
  withName,
} from "./onnx_layer_call.ts";
import { SPATIAL_CONVERTERS } from "./onnx_spatial_layers.ts";

/** Broadcast shape for a per-channel constant on `axis` of a rank-`rank` value. */
const channelDims = (c: number, rank: number, axis: number) => [c, ...Array(rank - 1 - axis).fill(1)];

/** Elementwise merge (Add, Multiply, ...): equalises ranks the way tfjs does, then broadcasts. */
function merge(op: string): Converter {
  return (call) => {
    const { g, inputs, layer } = call;
    const rank = Math.max(...inputs.map((v) => v.shape.length));
    let vals = inputs.map((v) => {
      if (v.shape.length === rank) return v;
      // tfjs inserts the missing axes right after the batch axis.
      const c = g.layout(v, false);
      const axes = Array.from({ length: rank - c.shape.length }, (_, i) => i + 1);
      const shape = [c.shape[0], ...axes.map(() => 1), ...c.shape.slice(1)];
      return withName(
        c,
        g.node("Unsqueeze", [c.name, g.int64s(`${layer.name}_axes`, axes)], `${c.name}_unsq`),
        shape,
      );
    });
    const cf = rank === 4 && vals.some((v) => v.channelsFirst);
    vals = vals.map((v) => g.layout(v, cf));
    let acc = vals[0].name;
    for (let i = 1; i < vals.length; i++) acc = g.node(op, [acc, vals[i].name], layer.name);
    if (op === "Sum" && layer.getClassName() === "Average") {
      acc = g.node("Div", [acc, g.floats(`${layer.name}_n`, [vals.length], [])], `${layer.name}_avg`);
    }
    return { name: acc, shape: call.outputShapes[0], channelsFirst: cf };
  };
}

const identity: Converter = one;

/** Layer class name -> converter. */
export const LAYER_CONVERTERS = {
  ...SPATIAL_CONVERTERS,
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianDropout: identity,
  GaussianNoise: identity,
  AlphaDropout: identity,
  Activation: (call) => activate(call, one(call), config(call.layer).activation),
  ReLU: (call) => {
    const max = config(call.layer).maxValue;
    if (max === null || max === undefined) return ACTIVATIONS.relu(call.g, one(call), call.layer.name);
    const { g, layer } = call;
    const x = one(call);
    const lo = g.floats(`${layer.name}_min`, [0], []), hi = g.floats(`${layer.name}_max`, [max], []);
    return withName(x, g.node("Clip", [x.name, lo, hi], layer.name));
  },
  LeakyReLU: (call) =>
    withName(
      one(call),
      call.g.node("LeakyRelu", [one(call).name], call.layer.name, [
        attr.float("alpha", config(call.layer).alpha),
      ]),
    ),
  ELU: (call) =>
    withName(
      one(call),
      call.g.node("Elu", [one(call).name], call.layer.name, [attr.float("alpha", config(call.layer).alpha)]),
    ),
  Softmax: (call) => {
    const axis = config(call.layer).axis ?? -1;
    const x = call.g.layout(one(call), false);
    return withName(x, call.g.node("Softmax", [x.name], call.layer.name, [attr.int("axis", axis)]));
  },
  Dense: (call) => {
    const { g, layer } = call;
    const x = g.layout(one(call), false);
    const k = weight(call, "kernel");
    let y = g.node("MatMul", [x.name, g.floats(`${layer.name}_W`, k.data, k.shape)], `${layer.name}_matmul`);
    if (config(layer).useBias) {
      y = g.node(
        "Add",
        [y, g.floats(`${layer.name}_B`, weight(call, "bias").data, [k.shape[1]])],
        layer.name,
      );
    }
    return activate(call, withName(x, y, call.outputShapes[0]), config(layer).activation);
  },
  BatchNormalization: (call) => {
    const { g, layer } = call;
    const c = config(layer);
    const x = one(call);
    const rank = x.shape.length;
    const tfAxis = c.axis < 0 ? rank + c.axis : c.axis;
    const axis = x.channelsFirst ? [0, 2, 3, 1][tfAxis] : tfAxis;
    const mean = weight(call, "moving_mean").data, variance = weight(call, "moving_variance").data;
    const gamma = c.scale ? weight(call, "gamma").data : null,
      beta = c.center ? weight(call, "beta").data : null;
    // Inference form folded into one multiply and one add (in float64): y = x * s + (beta - mean * s),
    // s = gamma / sqrt(var + eps).
    const n = mean.length;
    const s = new Float32Array(n), b = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const si = (gamma ? gamma[i] : 1) / Math.sqrt(variance[i] + c.epsilon);
      s[i] = si;
      b[i] = (beta ? beta[i] : 0) - mean[i] * si;
    }
    const dims = channelDims(n, rank, axis);
    const mul = g.node("Mul", [x.name, g.floats(`${layer.name}_scale`, s, dims)], `${layer.name}_mul`);
    return withName(x, g.node("Add", [mul, g.floats(`${layer.name}_shift`, b, dims)], layer.name));
  },
  Flatten: (call) => {
    const x = call.g.layout(one(call), false);
    if (x.shape.length <= 2) return x;
    return withName(
      x,
      call.g.node("Flatten", [x.name], call.layer.name, [attr.int("axis", 1)]),
      call.outputShapes[0],
    );
  },
  Reshape: (call) => {
    const { g, layer } = call;
    const x = g.layout(one(call), false);
    const out = call.outputShapes[0];
    // [N, 1, 1, C] and [N, C, 1, 1] are the same bytes: reshape straight to channels-first (the
    // squeeze-excitation case), saving a transpose before the 1x1 convolutions that follow.
    if (out.length === 4 && out[1] === 1 && out[2] === 1 && out[3] !== null) {
      const shape = g.int64s(`${layer.name}_shape`, [0, out[3], 1, 1]);
      return { name: g.node("Reshape", [x.name, shape], layer.name), shape: out, channelsFirst: true };
    }
    // 0 keeps the batch dimension as it is.
    const shape = g.int64s(`${layer.name}_shape`, [0, ...(config(layer).targetShape as number[])]);
    return withName(x, g.node("Reshape", [x.name, shape], layer.name), out);
  },
  Rescaling: (call) => {
    const { g, layer } = call;
    const c = config(layer);
    const x = one(call);
    const mul = g.node("Mul", [x.name, g.floats(`${layer.name}_scale`, [c.scale], [])], `${layer.name}_mul`);
    return withName(
      x,
      g.node("Add", [mul, g.floats(`${layer.name}_offset`, [c.offset ?? 0], [])], layer.name),
    );
  },
  Add: merge("Add"),
  Multiply: merge("Mul"),
  Maximum: merge("Max"),
  Minimum: merge("Min"),
  Average: merge("Sum"),
  Concatenate: (call) => {
    const { g, inputs, layer } = call;
    const rank = inputs[0].shape.length;
    const tfAxis = (config(layer).axis ?? -1) < 0 ? rank + (config(layer).axis ?? -1) : config(layer).axis;
    const cf = rank === 4 && tfAxis === 3 && inputs.some((v) => v.channelsFirst);
    const vals = inputs.map((v) => g.layout(v, cf));
    const name = g.node("Concat", vals.map((v) => v.name), layer.name, [attr.int("axis", cf ? 1 : tfAxis)]);
    return { name, shape: call.outputShapes[0], channelsFirst: cf };
  },
} as const satisfies Record<string, Converter>;

/**
 * Converts one call of `layer`. `extra` converters (for an architecture's custom layer classes) are
 * looked up first; an unknown class is an "unsupported" error naming the layer.
 */
export function convertLayer(call: LayerCall, extra: Readonly<Record<string, Converter>> = {}): GraphValue {
  const cls = call.layer.getClassName();
  const custom = Object.hasOwn(extra, cls) ? extra[cls] : undefined;
  if (custom) return custom(call);
  if (!Object.hasOwn(LAYER_CONVERTERS, cls)) {
    throw unsupported(call.layer, "this layer class has no ONNX converter");
  }
  if (cls !== "Concatenate" && !Object.hasOwn(MERGES, cls) && call.inputs.length !== 1) {
    throw unsupported(call.layer, `${call.inputs.length} inputs`);
  }
  return LAYER_CONVERTERS[cls as keyof typeof LAYER_CONVERTERS](call);
}

const MERGES = { Add: 1, Multiply: 1, Maximum: 1, Minimum: 1, Average: 1 } as const;
