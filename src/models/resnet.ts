/**
 * ResNet-18/34 (basic blocks) and ResNet-50 (bottleneck blocks, stride on the 3x3 conv: torchvision's
 * "v1.5"), layer for layer as torchvision builds them: bias-free convs, BatchNorm2d, ReLU and a 1x1
 * projection shortcut where the shape changes. Layer names are torchvision's module paths ("conv1",
 * "layer1.0.conv1", "layer2.0.downsample.0"), so a torchvision state_dict maps by name; the classifier
 * ("fc" in torchvision) is HEAD_LAYER. Layers torch does not have get the nearest module's name plus a
 * suffix ("layer2.0.conv1_pad", "layer1.0.add", "layer1.0.relu2").
 *
 * Trainable parameters equal torchvision's parameter count (ResNet-18 with 1000 classes: 11,689,512);
 * paramCount() also includes batch norm moving means and variances, which torch keeps as buffers.
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig, ResnetConfig } from "../config/schema.ts";
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

interface ResnetShape {
  block: "basic" | "bottleneck";
  /** Blocks in layer1..layer4. */
  blocks: readonly [number, number, number, number];
}

/** The published depths; channels are 64, 128, 256, 512 (times 4 at a bottleneck's output). */
export const RESNETS = Object.freeze(
  {
    resnet18: { block: "basic", blocks: [2, 2, 2, 2] },
    resnet34: { block: "basic", blocks: [3, 4, 6, 3] },
    resnet50: { block: "bottleneck", blocks: [3, 4, 6, 3] },
  } as const satisfies Record<ResnetConfig["arch"], ResnetShape>,
);

const EXPANSION = { basic: 1, bottleneck: 4 } as const;

/** Builds an unfitted ResNet of `config.arch` for NHWC images of spec.inputShape. */
export function buildResnet(config: ModelConfig, spec: ModelSpec): MmmlModel {
  const shape: ResnetShape = archEntry(RESNETS, config, "buildResnet");
  const resnet = config as ResnetConfig;
  checkVisionSpec(spec, "ResNet");
  const seeds = seedSource(spec.seed);
  const input = tf.input({ shape: spec.inputShape, name: "input" });
  let x = stem(input, resnet.stem, seeds);
  shape.blocks.forEach((count, stage) => {
    const planes = 64 * 2 ** stage;
    for (let i = 0; i < count; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const name = `layer${stage + 1}.${i}`;
      x = shape.block === "basic"
        ? basicBlock(x, name, planes, stride, seeds)
        : bottleneckBlock(x, name, planes, stride, seeds);
    }
  });
  // torch's nn.Linear default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  const fanIn = 512 * EXPANSION[shape.block];
  const probs = classifierHead(
    x,
    { numClasses: spec.numClasses, dropout: resnet.dropout, initBound: 1 / Math.sqrt(fanIn) },
    seeds,
  );
  const net = tf.model({ inputs: input, outputs: probs, name: resnet.arch });
  return wrapVisionModel(net, config, spec);
}

function stem(x: tf.SymbolicTensor, kind: ResnetConfig["stem"], seeds: SeedSource): tf.SymbolicTensor {
  if (kind === "small") {
    x = conv2d(x, { name: "conv1", filters: 64, kernel: 3 }, seeds);
    return activation(batchNorm(x, "bn1"), "relu", "relu");
  }
  x = conv2d(x, { name: "conv1", filters: 64, kernel: 7, stride: 2 }, seeds);
  x = activation(batchNorm(x, "bn1"), "relu", "relu");
  // torch pads the max pool with -inf; after a ReLU every value is >= 0, so zeros give the same maxima.
  x = tf.layers.zeroPadding2d({ padding: 1, name: "maxpool_pad" }).apply(x) as tf.SymbolicTensor;
  return tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "valid", name: "maxpool" })
    .apply(x) as tf.SymbolicTensor;
}

/** The 1x1 projection when the block changes resolution or width; the identity otherwise. */
function shortcut(
  x: tf.SymbolicTensor,
  name: string,
  filters: number,
  stride: number,
  seeds: SeedSource,
): tf.SymbolicTensor {
  if (stride === 1 && x.shape[3] === filters) return x;
  const y = conv2d(x, { name: `${name}.downsample.0`, filters, kernel: 1, stride }, seeds);
  return batchNorm(y, `${name}.downsample.1`);
}

function residual(y: tf.SymbolicTensor, identity: tf.SymbolicTensor, name: string, relu: string) {
  const sum = tf.layers.add({ name: `${name}.add` }).apply([y, identity]) as tf.SymbolicTensor;
  return activation(sum, "relu", `${name}.${relu}`);
}

function basicBlock(
  x: tf.SymbolicTensor,
  name: string,
  planes: number,
  stride: number,
  seeds: SeedSource,
): tf.SymbolicTensor {
  let y = conv2d(x, { name: `${name}.conv1`, filters: planes, kernel: 3, stride }, seeds);
  y = activation(batchNorm(y, `${name}.bn1`), "relu", `${name}.relu1`);
  y = conv2d(y, { name: `${name}.conv2`, filters: planes, kernel: 3 }, seeds);
  y = batchNorm(y, `${name}.bn2`);
  return residual(y, shortcut(x, name, planes, stride, seeds), name, "relu2");
}

function bottleneckBlock(
  x: tf.SymbolicTensor,
  name: string,
  planes: number,
  stride: number,
  seeds: SeedSource,
): tf.SymbolicTensor {
  let y = conv2d(x, { name: `${name}.conv1`, filters: planes, kernel: 1 }, seeds);
  y = activation(batchNorm(y, `${name}.bn1`), "relu", `${name}.relu1`);
  y = conv2d(y, { name: `${name}.conv2`, filters: planes, kernel: 3, stride }, seeds);
  y = activation(batchNorm(y, `${name}.bn2`), "relu", `${name}.relu2`);
  y = conv2d(y, { name: `${name}.conv3`, filters: planes * EXPANSION.bottleneck, kernel: 1 }, seeds);
  y = batchNorm(y, `${name}.bn3`);
  return residual(y, shortcut(x, name, planes * EXPANSION.bottleneck, stride, seeds), name, "relu3");
}
