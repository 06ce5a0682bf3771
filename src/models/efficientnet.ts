/**
 * EfficientNet-B0/B1 as torchvision builds them (efficientnet_b0/b1): a 3x3/2 stem of 32 channels, seven
 * stages of MBConv blocks (1x1 expansion, depthwise k3/k5, squeeze-excitation, 1x1 projection, identity
 * residual where stride 1 and widths agree), a 1x1 conv to 1280 and dropout + linear. SiLU (tfjs "swish")
 * everywhere; BatchNorm2d with torch's defaults (torchvision's B0-B7 pass no norm_layer, so eps is 1e-5;
 * only the V2 models use 1e-3). Compound scaling: channels * width rounded to multiples of 8, blocks
 * ceil(n * depth).
 *
 * Not ported: stochastic depth (torchvision drops whole residual branches with probability up to 0.2
 * while training). It holds no weights, so parameter counts and inference are unaffected; training is
 * plain residual training.
 *
 * Layer names are torchvision's module paths ("features.0.0", "features.2.1.block.1.0",
 * "features.2.1.block.2.fc1"), the classifier ("classifier.1") is HEAD_LAYER. Layers torch does not have
 * get the nearest module's name plus a suffix ("..._pad", "....add", "....reshape", "....scale").
 */
import * as tf from "@tensorflow/tfjs";
import type { EfficientnetConfig, ModelConfig } from "../config/schema.ts";
import type { MmmlModel, ModelSpec } from "./model.ts";
import {
  activation,
  archEntry,
  batchNorm,
  checkVisionSpec,
  classifierHead,
  conv2d,
  type SeedSource,
  seedSource,
  wrapVisionModel,
} from "./vision_layers.ts";

/** One stage of B0: [expand ratio, kernel, stride, input channels, output channels, blocks]. */
type Stage = readonly [number, number, number, number, number, number];

const B0_STAGES: readonly Stage[] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

interface Scaling {
  width: number;
  depth: number;
}

/** Compound scaling coefficients, as torchvision's efficientnet_bN pass them. */
export const EFFICIENTNETS = Object.freeze(
  {
    efficientnet_b0: { width: 1.0, depth: 1.0 },
    efficientnet_b1: { width: 1.0, depth: 1.1 },
  } as const satisfies Record<EfficientnetConfig["arch"], Scaling>,
);

/** Rounds a channel count to a multiple of 8, never more than 10% below (the TF reference's rule). */
export function makeDivisible(value: number, divisor = 8): number {
  let rounded = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

/** Builds an unfitted EfficientNet of `config.arch` for NHWC images of spec.inputShape. */
export function buildEfficientnet(config: ModelConfig, spec: ModelSpec): MmmlModel {
  const { width, depth }: Scaling = archEntry(EFFICIENTNETS, config, "buildEfficientnet");
  const effnet = config as EfficientnetConfig;
  checkVisionSpec(spec, "EfficientNet");
  const channels = (c: number) => makeDivisible(c * width);
  const seeds = seedSource(spec.seed);
  const input = tf.input({ shape: spec.inputShape, name: "input" });

  const stemStride = effnet.stem === "small" ? 1 : 2;
  let x = conv2d(input, {
    name: "features.0.0",
    filters: channels(B0_STAGES[0][3]),
    kernel: 3,
    stride: stemStride,
  }, seeds);
  x = activation(batchNorm(x, "features.0.1"), "swish", "features.0.2");

  B0_STAGES.forEach(([expand, kernel, stride, cin, cout, blocks], s) => {
    const count = Math.ceil(blocks * depth);
    for (let i = 0; i < count; i++) {
      const block = { expand, kernel, stride: i === 0 ? stride : 1, out: channels(cout) };
      x = mbConv(x, `features.${s + 1}.${i}`, i === 0 ? channels(cin) : channels(cout), block, seeds);
    }
  });

  const last = `features.${B0_STAGES.length + 1}`;
  x = conv2d(x, { name: `${last}.0`, filters: 4 * channels(B0_STAGES.at(-1)![4]), kernel: 1 }, seeds);
  x = activation(batchNorm(x, `${last}.1`), "swish", `${last}.2`);
  // torchvision's classifier init: U(-1/sqrt(out_features), 1/sqrt(out_features)).
  const probs = classifierHead(
    x,
    { numClasses: spec.numClasses, dropout: effnet.dropout, initBound: 1 / Math.sqrt(spec.numClasses) },
    seeds,
  );
  const net = tf.model({ inputs: input, outputs: probs, name: effnet.arch });
  return wrapVisionModel(net, config, spec);
}

interface BlockShape {
  expand: number;
  kernel: number;
  stride: number;
  out: number;
}

/** Inverted residual: [expand] -> depthwise -> squeeze-excitation -> project (+ identity). */
function mbConv(
  x: tf.SymbolicTensor,
  name: string,
  cin: number,
  { expand, kernel, stride, out }: BlockShape,
  seeds: SeedSource,
): tf.SymbolicTensor {
  const expanded = makeDivisible(cin * expand);
  let part = 0;
  const next = () => `${name}.block.${part++}`;
  let y = x;
  if (expanded !== cin) {
    const p = next();
    y = conv2d(y, { name: `${p}.0`, filters: expanded, kernel: 1 }, seeds);
    y = activation(batchNorm(y, `${p}.1`), "swish", `${p}.2`);
  }
  const dw = next();
  y = conv2d(y, { name: `${dw}.0`, filters: expanded, kernel, stride, depthwise: true }, seeds);
  y = activation(batchNorm(y, `${dw}.1`), "swish", `${dw}.2`);
  y = squeezeExcitation(y, next(), Math.max(1, Math.floor(cin / 4)), seeds);
  const proj = next();
  y = conv2d(y, { name: `${proj}.0`, filters: out, kernel: 1 }, seeds);
  y = batchNorm(y, `${proj}.1`);
  if (stride !== 1 || cin !== out) return y;
  return tf.layers.add({ name: `${name}.add` }).apply([y, x]) as tf.SymbolicTensor;
}

/** x * sigmoid(fc2(silu(fc1(mean over H, W)))), with torch's 1x1 convs (with bias) as fc1/fc2. */
function squeezeExcitation(
  x: tf.SymbolicTensor,
  name: string,
  squeeze: number,
  seeds: SeedSource,
): tf.SymbolicTensor {
  const channels = x.shape[3] as number;
  let s = tf.layers.globalAveragePooling2d({ name: `${name}.avgpool` }).apply(x) as tf.SymbolicTensor;
  s = tf.layers.reshape({ targetShape: [1, 1, channels], name: `${name}.reshape` }).apply(
    s,
  ) as tf.SymbolicTensor;
  s = conv2d(s, { name: `${name}.fc1`, filters: squeeze, kernel: 1, useBias: true }, seeds);
  s = activation(s, "swish", `${name}.activation`);
  s = conv2d(s, { name: `${name}.fc2`, filters: channels, kernel: 1, useBias: true }, seeds);
  s = activation(s, "sigmoid", `${name}.scale_activation`);
  return tf.layers.multiply({ name: `${name}.scale` }).apply([x, s]) as tf.SymbolicTensor;
}
