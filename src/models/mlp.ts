/**
 * The tabular model: a stack of dense layers ending in a softmax head (a linear one for regression). Layer names are stable
 * (dense_i, bn_i, act_i, dropout_i, head) because the ONNX exporter walks `net.layers` and maps each one.
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/schema.ts";
import { describeValue, MmmlError } from "../errors.ts";
import { deriveSeed } from "../random.ts";
import type { MmmlModel, ModelSpec } from "./model.ts";

/** The name of the classification head: the one layer that stays trainable when frozen. */
export const HEAD_LAYER = "head";

// He initialisation keeps the variance of ReLU-like activations, LeCun's is what SELU's self-normalising
// needs, and Glorot suits the saturating ones.
const HE_ACTIVATIONS: ReadonlySet<string> = new Set(["relu", "gelu", "elu", "swish"]);

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;
type TfActivation = NonNullable<Parameters<typeof tf.layers.dense>[0]["activation"]>;

function kernelInitializer(activation: string, seed: number | undefined): Initializer {
  if (HE_ACTIVATIONS.has(activation)) return tf.initializers.heNormal({ seed });
  return activation === "selu"
    ? tf.initializers.leCunNormal({ seed })
    : tf.initializers.glorotUniform({ seed });
}

/** Builds an unfitted MLP: [dense -> (batch norm) -> activation -> dropout] per hidden size, then head. */
export function buildMlp(config: ModelConfig, spec: ModelSpec): MmmlModel {
  if (config.arch !== "mlp") {
    throw new MmmlError(
      "config_invalid",
      `model.arch: buildMlp expected "mlp", received ${describeValue(config.arch)}`,
    );
  }
  checkSpec(spec);
  const seedFor = (layer: number) => spec.seed === undefined ? undefined : deriveSeed(spec.seed, layer);
  const net = tf.sequential({ name: "mlp" });
  config.hidden.forEach((units, i) => {
    const common = {
      units,
      name: `dense_${i}`,
      kernelInitializer: kernelInitializer(config.activation, seedFor(i)),
      ...(i === 0 ? { inputShape: spec.inputShape } : {}),
    };
    if (config.batch_norm) {
      // The bias is redundant before batch norm (its beta does the shifting).
      net.add(tf.layers.dense({ ...common, activation: "linear", useBias: false }));
      net.add(tf.layers.batchNormalization({ name: `bn_${i}` }));
      net.add(tf.layers.activation({ activation: config.activation as TfActivation, name: `act_${i}` }));
    } else {
      net.add(tf.layers.dense({ ...common, activation: config.activation as TfActivation }));
    }
    if (config.dropout > 0) net.add(tf.layers.dropout({ rate: config.dropout, name: `dropout_${i}` }));
  });
  const linear = spec.output === "linear";
  net.add(tf.layers.dense({
    units: linear ? 1 : spec.numClasses,
    activation: linear ? "linear" : "softmax",
    name: HEAD_LAYER,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seedFor(config.hidden.length) }),
    ...(config.hidden.length === 0 ? { inputShape: spec.inputShape } : {}),
  }));
  return wrapLayersModel(net, config, spec);
}

function checkSpec(spec: ModelSpec): void {
  const [features, ...rest] = spec.inputShape;
  if (rest.length > 0 || !Number.isInteger(features) || features < 1) {
    throw new MmmlError(
      "invalid_input",
      `model input shape: an MLP expects [features], received [${spec.inputShape.join(", ")}]`,
    );
  }
  if (spec.output === "linear") {
    if (spec.numClasses !== 1) {
      throw new MmmlError(
        "invalid_input",
        `model outputs: a regression has 1, received ${describeValue(spec.numClasses)}`,
      );
    }
  } else if (!Number.isInteger(spec.numClasses) || spec.numClasses < 2) {
    throw new MmmlError(
      "invalid_input",
      `model classes: expected at least 2, received ${describeValue(spec.numClasses)}`,
    );
  }
}

// Weight shapes are fully known (they have no batch dimension).
const countOf = (weights: tf.LayerVariable[]) =>
  weights.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0);

/**
 * Wraps a tfjs model whose last layer is named `head` as an MmmlModel. Freezing keeps only the head
 * trainable, so fine-tuning a backbone and training a fresh classifier share one code path.
 */
export function wrapLayersModel(net: tf.LayersModel, config: ModelConfig, spec: ModelSpec): MmmlModel {
  const setTrainable = (backbone: boolean) => {
    for (const layer of net.layers) layer.trainable = backbone || layer.name === HEAD_LAYER;
  };
  return {
    config,
    spec,
    net,
    paramCount: () => countOf(net.weights),
    trainableParamCount: () => countOf(net.trainableWeights),
    freeze: () => setTrainable(false),
    unfreeze: () => setTrainable(true),
    predict: (x) => tf.tidy(() => net.predict(x) as tf.Tensor2D),
  };
}
