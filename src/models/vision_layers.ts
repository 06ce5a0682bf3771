/**
 * Building blocks shared by the vision architectures, each written to compute what its torchvision
 * counterpart computes, so that accuracy, parameter counts and converted weights compare one to one.
 *
 * Only built-in tfjs layer classes are used (no custom layers), so the ONNX exporter and the tfjs
 * serialiser see ordinary Conv2D, DepthwiseConv2D, BatchNormalization, Activation, ZeroPadding2D,
 * MaxPooling2D, GlobalAveragePooling2D, Reshape, Add, Multiply, Dropout and Dense layers.
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/schema.ts";
import { describeValue, MmmlError } from "../errors.ts";
import { deriveSeed } from "../random.ts";
import { installBatchNormCall } from "./batch_norm_call.ts";
import { installConvCall } from "./conv_call.ts";
import { installSwishCall } from "./swish_call.ts";
import { HEAD_LAYER, wrapLayersModel } from "./mlp.ts";
import type { MmmlModel, ModelSpec } from "./model.ts";

/** Hands out one seed per initialised layer, in construction order, so spec.seed alone fixes the weights. */
export type SeedSource = () => number | undefined;

/** A SeedSource for a model seed; unseeded layers (seed undefined) draw from Math.random. */
export function seedSource(seed: number | undefined): SeedSource {
  let layer = 0;
  return () => seed === undefined ? undefined : deriveSeed(seed, layer++);
}

/** The activations these models use; all are built into tfjs ("swish" is x * sigmoid(x), torch's SiLU). */
export type VisionActivation = "relu" | "swish" | "sigmoid";

export interface ConvOptions {
  name: string;
  /** Output channels; ignored for a depthwise conv (its output has the input's channels). */
  filters: number;
  kernel: number;
  stride?: number;
  depthwise?: boolean;
  useBias?: boolean;
}

/**
 * A convolution padded as torch pads Conv2d(padding=(k-1)/2). With stride 1 and an odd kernel TF's
 * "same" pads symmetrically and agrees; with stride 2 "same" pads only bottom/right, so the input is
 * zero-padded explicitly (layer NAME_pad) and the conv is "valid". Weights start as torchvision's
 * kaiming_normal_(mode="fan_out"): N(0, 2 / fan_out) with torch's fan_out = out_channels * k * k
 * (a depthwise conv's out_channels are its input channels).
 */
export function conv2d(x: tf.SymbolicTensor, options: ConvOptions, seeds: SeedSource): tf.SymbolicTensor {
  const { name, kernel, stride = 1, depthwise = false, useBias = false } = options;
  const channelsIn = x.shape[3] as number;
  const torchOut = depthwise ? channelsIn : options.filters;
  const kernelInitializer = tf.initializers.randomNormal({
    mean: 0,
    stddev: Math.sqrt(2 / (torchOut * kernel * kernel)),
    seed: seeds(),
  });
  let padding: "same" | "valid" = "same";
  if (stride > 1 && kernel > 1) {
    x = tf.layers.zeroPadding2d({ padding: (kernel - 1) / 2, name: `${name}_pad` }).apply(
      x,
    ) as tf.SymbolicTensor;
    padding = "valid";
  } else if (kernel === 1) {
    padding = "valid";
  }
  const common = {
    name,
    kernelSize: kernel,
    strides: stride,
    padding,
    useBias,
    biasInitializer: "zeros" as const,
  };
  const layer = depthwise
    ? tf.layers.depthwiseConv2d({ ...common, depthMultiplier: 1, depthwiseInitializer: kernelInitializer })
    : tf.layers.conv2d({ ...common, filters: options.filters, kernelInitializer });
  return layer.apply(x) as tf.SymbolicTensor;
}

/** BatchNorm2d with torch's defaults: eps 1e-5, momentum 0.1 (tfjs keeps 0.9 of the old average). */
export function batchNorm(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.batchNormalization({ name, axis: -1, epsilon: 1e-5, momentum: 0.9 }).apply(
    x,
  ) as tf.SymbolicTensor;
}

/** An Activation layer. */
export function activation(x: tf.SymbolicTensor, kind: VisionActivation, name: string): tf.SymbolicTensor {
  return tf.layers.activation({ activation: kind, name }).apply(x) as tf.SymbolicTensor;
}

export interface HeadOptions {
  numClasses: number;
  dropout: number;
  /** The head kernel starts uniform in [-bound, bound] (torchvision's per-architecture choice). */
  initBound: number;
}

/** GlobalAveragePooling2D ("avgpool") -> Dropout ("dropout", when rate > 0) -> Dense softmax (HEAD_LAYER). */
export function classifierHead(
  x: tf.SymbolicTensor,
  { numClasses, dropout, initBound }: HeadOptions,
  seeds: SeedSource,
): tf.SymbolicTensor {
  let y = tf.layers.globalAveragePooling2d({ name: "avgpool" }).apply(x) as tf.SymbolicTensor;
  if (dropout > 0) y = tf.layers.dropout({ rate: dropout, name: "dropout" }).apply(y) as tf.SymbolicTensor;
  return tf.layers.dense({
    units: numClasses,
    activation: "softmax",
    name: HEAD_LAYER,
    kernelInitializer: tf.initializers.randomUniform({
      minval: -initBound,
      maxval: initBound,
      seed: seeds(),
    }),
    biasInitializer: "zeros",
  }).apply(y) as tf.SymbolicTensor;
}

/** The table entry for `config.arch`, or a config_invalid error naming the builder and its choices. */
export function archEntry<T>(table: Readonly<Record<string, T>>, config: ModelConfig, builder: string): T {
  if (!Object.hasOwn(table, config.arch)) {
    throw new MmmlError(
      "config_invalid",
      `model.arch: ${builder} expected one of ${Object.keys(table).join(", ")}, received ${
        describeValue(config.arch)
      }`,
    );
  }
  return table[config.arch];
}

/** Fails unless the spec is an [H, W, C] image input with at least two classes. */
export function checkVisionSpec(spec: ModelSpec, family: string): void {
  const shape = spec.inputShape;
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new MmmlError(
      "invalid_input",
      `model input shape: a ${family} expects [height, width, channels], received [${shape.join(", ")}]`,
    );
  }
  if (!Number.isInteger(spec.numClasses) || spec.numClasses < 2) {
    throw new MmmlError(
      "invalid_input",
      `model classes: expected at least 2, received ${describeValue(spec.numClasses)}`,
    );
  }
}

/**
 * wrapLayersModel plus bias-free convolutions as installConvCall describes, batch norm as
 * installBatchNormCall describes and swish as installSwishCall does: freeze() makes every layer but the
 * head non-trainable and puts the backbone's batch norm layers in inference mode; unfreeze() undoes both.
 */
export function wrapVisionModel(net: tf.LayersModel, config: ModelConfig, spec: ModelSpec): MmmlModel {
  const base = wrapLayersModel(net, config, spec);
  let frozen = false;
  for (const layer of net.layers) {
    const kind = layer.getClassName();
    if (kind === "BatchNormalization") installBatchNormCall(layer, () => frozen);
    else if (kind === "Activation" && layer.getConfig().activation === "swish") installSwishCall(layer);
    else installConvCall(layer);
  }
  return {
    ...base,
    freeze: () => {
      base.freeze();
      frozen = true;
    },
    unfreeze: () => {
      base.unfreeze();
      frozen = false;
    },
  };
}
