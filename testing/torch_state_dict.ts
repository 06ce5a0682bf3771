/**
 * A model's weights as the PyTorch state dict torchvision would have (module paths, torch layouts), for
 * tests of the safetensors name map without torch: the inverse of src/models/pretrained_sources.ts.
 */
import type { MmmlModel } from "../src/models/model.ts";
import { transpose } from "../src/models/pretrained_sources.ts";

const PARAMS: Record<string, string> = {
  kernel: "weight",
  depthwise_kernel: "weight",
  gamma: "weight",
  beta: "bias",
  bias: "bias",
  moving_mean: "running_mean",
  moving_variance: "running_var",
};

export function stateDictOf(model: MmmlModel): Record<string, { shape: number[]; values: Float32Array }> {
  const head = model.config.arch.startsWith("resnet") ? "fc" : "classifier.1";
  const out: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const layer of model.net.layers) {
    for (const v of layer.weights) {
      const weight = v.originalName.split("/").at(-1)!;
      const module = layer.name === "head" ? head : layer.name;
      const shape = v.shape as number[];
      const values = v.read().dataSync() as Float32Array;
      // tfjs -> torch: conv [kh, kw, in, out] -> [out, in, kh, kw]; depthwise [kh, kw, c, 1] -> [c, 1, kh, kw]
      const axes = weight === "depthwise_kernel"
        ? [2, 3, 0, 1]
        : weight === "kernel"
        ? (shape.length === 4 ? [3, 2, 0, 1] : [1, 0])
        : null;
      out[`${module}.${PARAMS[weight]}`] = axes
        ? { shape: axes.map((a) => shape[a]), values: transpose(values, shape, axes) }
        : { shape, values };
    }
  }
  return out;
}
