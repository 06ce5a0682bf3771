/**
 * The weights of a pretrained file in mmml's naming (LAYER/WEIGHT) and tfjs layouts, whatever its format:
 * - MMMLW1 (pretrained.ts): already in that naming and layout;
 * - safetensors with a PyTorch state dict (torchvision, timm's ResNets, which use the same module paths,
 *   or timm's EfficientNets, whose paths timmEfficientnetNames maps onto torchvision's): MODULE.PARAM is
 *   renamed and transposed as pretrained.ts documents (fc / classifier.1 -> head;
 *   weight -> kernel, depthwise_kernel or gamma, bias -> bias or beta, running_mean / running_var ->
 *   moving_mean / moving_variance; conv [out, in, kh, kw] -> [kh, kw, in, out], depthwise
 *   [c, 1, kh, kw] -> [kh, kw, c, 1], linear [out, in] -> [in, out]), guided by which weights each layer
 *   of the model has; num_batches_tracked and other integer tensors are left out.
 * Pickled PyTorch files (.pth, .pt, .bin: a zip or a pickle stream) are refused: loading one runs code.
 */
import { MmmlError } from "../errors.ts";
import { parsePretrained, PRETRAINED_MAGIC, readFloats } from "./mmmlw_format.ts";
import { looksLikeSafetensors, parseSafetensors, type SafeTensor } from "./safetensors.ts";

/** One weight as the file gives it, renamed and laid out for the model. */
export interface SourceWeight {
  shape: number[];
  values(): Float32Array;
  /** The file's own name for it, when it differs (a state dict key), for messages. */
  from?: string;
}

export interface PretrainedSource {
  format: "MMMLW1" | "safetensors";
  arch?: string;
  weights: Map<string, SourceWeight>;
}

/** What the model has: layer -> its weight names (kernel, gamma, ...), for choosing each PARAM's name. */
export type ModelWeightNames = ReadonlyMap<string, ReadonlySet<string>>;

/** Reads `bytes` (the file at `path`) in whichever format it is. */
export function readPretrainedSource(
  bytes: Uint8Array,
  path: string,
  model: ModelWeightNames,
): PretrainedSource {
  const magic = new TextDecoder().decode(bytes.subarray(0, PRETRAINED_MAGIC.length));
  if (magic === PRETRAINED_MAGIC) {
    const { header, data } = parsePretrained(bytes, path);
    return {
      format: "MMMLW1",
      arch: header.arch,
      weights: new Map(header.weights.map((w) => [w.name, {
        shape: w.shape,
        values: () => readFloats(data, w.offset, w.shape.reduce((a, b) => a * b, 1)),
      }])),
    };
  }
  if (looksLikeSafetensors(bytes)) {
    const { tensors, metadata } = parseSafetensors(bytes, path);
    return { format: "safetensors", arch: metadata.arch, weights: fromStateDict(tensors, model) };
  }
  const pickled = (bytes[0] === 0x50 && bytes[1] === 0x4b) || bytes[0] === 0x80;
  throw new MmmlError(
    "invalid_input",
    pickled
      ? `Cannot load pretrained weights "${path}": it is a pickled PyTorch file (.pth/.pt/.bin), which mmml does ` +
        `not open because unpickling runs code. Save it as safetensors (safetensors.torch.save_file(` +
        `model.state_dict(), "weights.safetensors")) or use --pretrained imagenet / hf:ORG/REPO`
      : `Cannot load pretrained weights "${path}": expected a safetensors or MMMLW1 file, received neither ` +
        `(first bytes ${JSON.stringify(magic)})`,
  );
}

const MODULE_RENAMES: Record<string, string> = { fc: "head", "classifier.1": "head" };

const TIMM_DS: Record<string, string> = {
  conv_dw: "block.0.0",
  bn1: "block.0.1",
  "se.conv_reduce": "block.1.fc1",
  "se.conv_expand": "block.1.fc2",
  conv_pw: "block.2.0",
  bn2: "block.2.1",
};
const TIMM_IR: Record<string, string> = {
  conv_pw: "block.0.0",
  bn1: "block.0.1",
  conv_dw: "block.1.0",
  bn2: "block.1.1",
  "se.conv_reduce": "block.2.fc1",
  "se.conv_expand": "block.2.fc2",
  conv_pwl: "block.3.0",
  bn3: "block.3.1",
};

/**
 * timm's EfficientNet module paths as torchvision's (which mmml's layers carry): conv_stem/bn1 ->
 * features.0.{0,1}; blocks.S.B -> features.(S+1).B with each block's parts renamed (depthwise-separable
 * blocks have no expansion: TIMM_DS; inverted residuals: TIMM_IR); conv_head/bn2 -> features.(S+2).{0,1};
 * classifier -> classifier.1. Other state dicts are returned as they are.
 */
export function timmEfficientnetNames(keys: readonly string[]): Map<string, string> {
  const renames = new Map<string, string>();
  if (!keys.includes("conv_stem.weight")) return renames;
  const stages = Math.max(...keys.map((k) => Number(/^blocks\.(\d+)\./.exec(k)?.[1] ?? -1))) + 1;
  const inverted = new Set(
    keys.filter((k) => k.includes(".conv_pwl.")).map((k) => k.split(".").slice(0, 3).join(".")),
  );
  for (const key of keys) {
    const dot = key.lastIndexOf(".");
    const [module, param] = [key.slice(0, dot), key.slice(dot + 1)];
    const top: Record<string, string> = {
      conv_stem: "features.0.0",
      bn1: "features.0.1",
      conv_head: `features.${stages + 1}.0`,
      bn2: `features.${stages + 1}.1`,
      classifier: "classifier.1",
    };
    let to = top[module];
    const m = /^blocks\.(\d+)\.(\d+)\.(.+)$/.exec(module);
    if (m) {
      const parts = inverted.has(`blocks.${m[1]}.${m[2]}`) ? TIMM_IR : TIMM_DS;
      if (parts[m[3]]) to = `features.${Number(m[1]) + 1}.${m[2]}.${parts[m[3]]}`;
    }
    if (to) renames.set(key, `${to}.${param}`);
  }
  return renames;
}

/** A state dict's tensors under mmml's names, in tfjs layouts. */
export function fromStateDict(
  tensors: Map<string, SafeTensor>,
  model: ModelWeightNames,
): Map<string, SourceWeight> {
  const out = new Map<string, SourceWeight>();
  const timm = timmEfficientnetNames([...tensors.keys()]);
  for (const t of tensors.values()) {
    if (!t.isFloat) continue; // num_batches_tracked
    const key = timm.get(t.name) ?? t.name;
    const dot = key.lastIndexOf(".");
    const module = dot < 0 ? key : key.slice(0, dot);
    const param = dot < 0 ? "" : key.slice(dot + 1);
    const layer = MODULE_RENAMES[module] ?? module;
    const has = model.get(layer) ?? new Set<string>();
    let weight = param;
    let permute: number[] | null = null;
    if (param === "weight") {
      if (has.has("depthwise_kernel")) [weight, permute] = ["depthwise_kernel", [2, 3, 0, 1]];
      else if (has.has("kernel")) {
        [weight, permute] = ["kernel", t.shape.length === 4 ? [2, 3, 1, 0] : [1, 0]];
      } else if (has.has("gamma")) weight = "gamma";
    } else if (param === "bias") weight = has.has("beta") ? "beta" : "bias";
    else if (param === "running_mean") weight = "moving_mean";
    else if (param === "running_var") weight = "moving_variance";
    if (permute && permute.length !== t.shape.length) permute = null; // the shape check will name it
    const shape = permute ? permute.map((p) => t.shape[p]) : t.shape;
    const axes = permute;
    out.set(`${layer}/${weight}`, {
      shape,
      from: t.name,
      values: () => axes ? transpose(t.floats(), t.shape, axes) : t.floats(),
    });
  }
  return out;
}

/** `values` of `shape` with its axes reordered: output axis i is input axis `axes[i]`. */
export function transpose(
  values: Float32Array,
  shape: readonly number[],
  axes: readonly number[],
): Float32Array {
  const outShape = axes.map((a) => shape[a]);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const strides = axes.map((a) => inStrides[a]);
  const out = new Float32Array(values.length);
  const index = new Array(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < index.length; k++) src += index[k] * strides[k];
    out[o] = values[src];
    for (let k = index.length - 1; k >= 0; k--) {
      if (++index[k] < outShape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}
