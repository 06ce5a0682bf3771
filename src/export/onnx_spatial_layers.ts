/**
 * Converters for the spatial layers: convolutions and pools run channels-first, as ONNX defines them,
 * with weights re-laid out from tfjs's [kh, kw, in, out] and TF's "same" padding made explicit.
 */
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

/** [kh, kw, in, out] (tfjs) -> [out, in, kh, kw] (ONNX). */
function hwioToOihw(data: Float32Array, [kh, kw, ci, co]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) {
          out[((o * ci + i) * kh + y) * kw + x] = data[((y * kw + x) * ci + i) * co + o];
        }
      }
    }
  }
  return out;
}

/**
 * Explicit pads [top, left, bottom, right] that reproduce TF's padding. TF "same" puts the odd extra
 * row/column at the bottom/right; ONNX auto_pad is avoided so no runtime has to agree on that.
 */
export function tfPads(
  padding: string,
  [h, w]: (number | null)[],
  [kh, kw]: number[],
  [sh, sw]: number[],
  [dh, dw]: number[] = [1, 1],
): number[] {
  if (padding === "valid") return [0, 0, 0, 0];
  if (h === null || w === null) throw new Error("same padding needs a fixed input size");
  const total = (size: number, k: number, s: number, d: number) =>
    Math.max((Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0);
  const th = total(h, kh, sh, dh), tw = total(w, kw, sw, dw);
  return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
}

/** Conv/pool in channels-first layout with TF-exact explicit pads. */
function spatialOp(call: LayerCall, op: string, extraInputs: string[], attrs: ReturnType<typeof attr.int>[]) {
  const c = config(call.layer);
  if (c.dataFormat && c.dataFormat !== "channelsLast") {
    throw unsupported(call.layer, `dataFormat ${c.dataFormat}`);
  }
  if (c.padding !== "same" && c.padding !== "valid") throw unsupported(call.layer, `padding "${c.padding}"`);
  const x = call.g.layout(one(call), true);
  if (x.shape.length !== 4) throw unsupported(call.layer, `input of rank ${x.shape.length}`);
  const k: number[] = c.kernelSize ?? c.poolSize;
  const strides: number[] = c.strides ?? k;
  const dil: number[] = c.dilationRate ?? [1, 1];
  let pads: number[];
  try {
    pads = tfPads(c.padding, x.shape.slice(1, 3), k, strides, dil);
  } catch (e) {
    throw unsupported(call.layer, (e as Error).message);
  }
  const name = call.g.node(op, [x.name, ...extraInputs], call.layer.name, [
    attr.ints("kernel_shape", k),
    attr.ints("strides", strides),
    attr.ints("pads", pads),
    ...attrs,
  ]);
  return withName(x, name, call.outputShapes[0]);
}

function conv(
  call: LayerCall,
  w: Float32Array,
  wShape: number[],
  group: number,
  useBias: boolean,
): GraphValue {
  const { g, layer } = call;
  const wName = g.floats(`${layer.name}_W`, w, wShape);
  const inputs = [wName];
  if (useBias) inputs.push(g.floats(`${layer.name}_B`, weight(call, "bias").data, [wShape[0]]));
  const dil: number[] = config(layer).dilationRate ?? [1, 1];
  return spatialOp(call, "Conv", inputs, [attr.int("group", group), attr.ints("dilations", dil)]);
}

function globalPool(call: LayerCall, op: string): GraphValue {
  const { g, layer } = call;
  const c = config(layer);
  if (c.dataFormat && c.dataFormat !== "channelsLast") throw unsupported(layer, `dataFormat ${c.dataFormat}`);
  if (c.keepDims) throw unsupported(layer, "keepDims");
  const x = g.layout(one(call), true);
  const pooled = g.node(op, [x.name], `${layer.name}_pool`);
  // [N, C, 1, 1] -> [N, C], the tfjs output.
  return {
    name: g.node("Flatten", [pooled], layer.name, [attr.int("axis", 1)]),
    shape: call.outputShapes[0],
    channelsFirst: false,
  };
}

/** Spatial layer class name -> converter. */
export const SPATIAL_CONVERTERS = {
  Conv2D: (call) => {
    const k = weight(call, "kernel");
    const y = conv(
      call,
      hwioToOihw(k.data, k.shape),
      [k.shape[3], k.shape[2], k.shape[0], k.shape[1]],
      1,
      config(call.layer).useBias,
    );
    return activate(call, y, config(call.layer).activation);
  },
  DepthwiseConv2D: (call) => {
    // [kh, kw, in, mult] -> [in * mult, 1, kh, kw] with group = in: output channel c * mult + m, as in TF.
    const k = weight(call, "depthwise_kernel");
    const [kh, kw, ci, m] = k.shape;
    const w = hwioToOihw(k.data, [kh, kw, 1, ci * m]);
    const y = conv(call, w, [ci * m, 1, kh, kw], ci, config(call.layer).useBias);
    return activate(call, y, config(call.layer).activation);
  },
  MaxPooling2D: (call) => spatialOp(call, "MaxPool", [], []),
  // TF's "same" average pooling divides by the number of real (unpadded) cells.
  AveragePooling2D: (call) => spatialOp(call, "AveragePool", [], [attr.int("count_include_pad", 0)]),
  GlobalAveragePooling2D: (call) => globalPool(call, "GlobalAveragePool"),
  GlobalMaxPooling2D: (call) => globalPool(call, "GlobalMaxPool"),
  ZeroPadding2D: (call) => {
    const { g, layer } = call;
    const c = config(layer);
    if (c.dataFormat && c.dataFormat !== "channelsLast") {
      throw unsupported(layer, `dataFormat ${c.dataFormat}`);
    }
    const [[t, b], [l, r]] = c.padding as number[][];
    const x = one(call);
    const pads = x.channelsFirst ? [0, 0, t, l, 0, 0, b, r] : [0, t, l, 0, 0, b, r, 0];
    return withName(
      x,
      g.node("Pad", [x.name, g.int64s(`${layer.name}_pads`, pads)], layer.name),
      call.outputShapes[0],
    );
  },
} as const satisfies Record<string, Converter>;
