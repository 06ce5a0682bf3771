/**
 * Turns a trained tfjs model into a self-contained ONNX file for serving on ONNX Runtime.
 *
 * Graph contract (what src/inference/predictor.ts and OIP v2 clients see):
 * - images: input `input` [N, H, W, C] float32 (NHWC, as tfjs); convolutions run NCHW inside.
 * - tabular with a PreprocessorState: input `numeric` [N, numeric columns] float32 with raw values and
 *   NaN for missing (booleans as 0/1), and input `categorical` [N, width] float32 holding the one-hot /
 *   label block. The graph imputes and standard-scales the numeric block, then concatenates. An input
 *   with zero width is left out. Categorical encoding and schema validation stay outside the graph:
 *   ONNX has no portable string-to-one-hot op that also honours "unknown: error".
 * - output `probabilities` [N, classes]; for a regression (a preprocessor with a target scaling) output
 *   `value` [N, 1] in the target's unit: the model's standardised output times std plus mean.
 * Metadata props: mmml.name, mmml.classes (JSON), mmml.inputs (JSON), and the feature names.
 */
import * as tf from "@tensorflow/tfjs";
import { MmmlError } from "../errors.ts";
import type { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import type { Converter, WeightValues } from "./onnx_layer_call.ts";
import { convertLayer } from "./onnx_layers.ts";
import { attr, type GraphValue, OnnxGraph } from "./onnx_graph.ts";

/** Graph input/output names. */
export const ONNX_NAMES = {
  input: "input",
  numeric: "numeric",
  categorical: "categorical",
  output: "probabilities",
  value: "value",
} as const;

/** Bumped when the graph contract above changes. */
export const EXPORT_FORMAT_VERSION = "1";

/** Opsets whose operator signatures this exporter writes (Softmax axis semantics 13+, ReduceMean axes < 18). */
export const SUPPORTED_OPSETS = [13, 14, 15, 16, 17] as const;

export interface ExportOptions {
  /** Folds imputation and scaling into the graph and switches to the numeric/categorical inputs. */
  preprocessor?: PreprocessorState;
  /** Model input shape without the batch dimension ([features] or [H, W, C]). */
  inputShape: number[];
  opset?: number;
  /** Model name and class names, stored in the file's metadata. */
  name?: string;
  classes?: string[];
  /** Converters for custom layer classes, by class name (see onnx_layer_call.ts for the helpers). */
  converters?: Readonly<Record<string, Converter>>;
  /**
   * Every weight's values from `await readWeightValues(net)`. Needed on a backend that cannot read
   * tensors synchronously (webgpu under Deno); without it weights are read synchronously.
   */
  weights?: WeightValues;
}

/** Width of the categorical block of the feature vector (one slot per category for one-hot, one for label). */
export function categoricalWidth(pre: PreprocessorState): number {
  return pre.categorical.reduce((n, c) => n + (c.encoding === "onehot" ? c.categories.length : 1), 0);
}

/** Exports `net` as an ONNX model (bytes of a .onnx file). */
export function exportOnnx(
  net: tf.LayersModel,
  { preprocessor, inputShape, opset = 17, name = net.name, classes, converters = {}, weights }: ExportOptions,
): Uint8Array {
  if (!(SUPPORTED_OPSETS as readonly number[]).includes(opset)) {
    throw new MmmlError(
      "unsupported",
      `ONNX opset ${opset} is not supported; expected one of ${SUPPORTED_OPSETS.join(", ")}`,
    );
  }
  if (net.inputs.length !== 1 || net.outputs.length !== 1) {
    throw new MmmlError(
      "unsupported",
      `ONNX export expects one input and one output; model "${net.name}" has ${net.inputs.length} and ${net.outputs.length}`,
    );
  }
  checkInputShape(net, inputShape);
  const g = new OnnxGraph(opset);
  g.reserve(...Object.values(ONNX_NAMES));
  const metadata: Record<string, string> = { "mmml.format": EXPORT_FORMAT_VERSION, "mmml.name": name };
  let input: GraphValue;
  if (preprocessor) {
    input = preprocessInGraph(g, preprocessor, inputShape, metadata);
  } else {
    input = g.input(ONNX_NAMES.input, [null, ...inputShape]);
    metadata["mmml.inputs"] = JSON.stringify([{
      name: ONNX_NAMES.input,
      layout: inputShape.length === 3 ? "NHWC" : "features",
    }]);
  }
  const [out] = convertModel(g, net, [input], converters, weights);
  if (out.shape.length !== 2) {
    throw new MmmlError(
      "unsupported",
      `Model "${net.name}" outputs shape [${out.shape}]; expected [N, classes]`,
    );
  }
  if (classes && !preprocessor?.target) {
    if (out.shape[1] !== null && out.shape[1] !== classes.length) {
      throw new MmmlError(
        "schema_mismatch",
        `Model "${net.name}" outputs ${
          out.shape[1]
        } probabilities but ${classes.length} class names were given`,
      );
    }
    metadata["mmml.classes"] = JSON.stringify(classes);
  }
  if (preprocessor?.target) {
    if (out.shape[1] !== 1) {
      throw new MmmlError(
        "schema_mismatch",
        `Model "${net.name}" outputs [${out.shape}]; a regression has one output`,
      );
    }
    const { mean, std, name: target } = preprocessor.target;
    const scaled = g.node("Mul", [out.name, g.floats("target_std", [std], [1])], "target_scaled");
    const value = g.node("Add", [scaled, g.floats("target_mean", [mean], [1])], "target_value");
    metadata["mmml.target"] = JSON.stringify({ name: target, mean, std });
    g.output({ ...out, name: value }, ONNX_NAMES.value);
  } else {
    g.output(out, ONNX_NAMES.output);
  }
  return g.encode({ graphName: name || "mmml", producerVersion: EXPORT_FORMAT_VERSION, metadata });
}

function checkInputShape(net: tf.LayersModel, inputShape: number[]): void {
  const declared = net.inputs[0].shape.slice(1);
  const ok = declared.length === inputShape.length &&
    declared.every((d, i) => d === null || d === inputShape[i]);
  if (!ok) {
    throw new MmmlError(
      "schema_mismatch",
      `Model "${net.name}" takes input [${
        declared.map((d) => d ?? "?")
      }]; export was asked for [${inputShape}]`,
    );
  }
}

/** numeric -> Where(IsNaN, fill) -> (x - mean) / std, then Concat with the categorical block. */
function preprocessInGraph(
  g: OnnxGraph,
  pre: PreprocessorState,
  inputShape: number[],
  metadata: Record<string, string>,
): GraphValue {
  const numCount = pre.numeric.length, catCount = categoricalWidth(pre);
  if (
    numCount + catCount !== pre.featureCount || inputShape.length !== 1 || inputShape[0] !== pre.featureCount
  ) {
    throw new MmmlError(
      "schema_mismatch",
      `Preprocessor gives ${numCount} numeric + ${catCount} categorical = ${numCount + catCount} features ` +
        `(featureCount ${pre.featureCount}); the model takes [${inputShape}]`,
    );
  }
  const parts: string[] = [];
  const inputs: { name: string; width: number; features: string[] }[] = [];
  if (numCount > 0) {
    const x = g.input(ONNX_NAMES.numeric, [null, numCount]);
    const f = (key: "fill" | "mean" | "std") =>
      g.floats(`numeric_${key}`, pre.numeric.map((n) => n[key]), [numCount]);
    const filled = g.node(
      "Where",
      [g.node("IsNaN", [x.name], "numeric_isnan"), f("fill"), x.name],
      "numeric_imputed",
    );
    const centred = g.node("Sub", [filled, f("mean")], "numeric_centred");
    parts.push(g.node("Div", [centred, f("std")], "numeric_scaled"));
    inputs.push({ name: ONNX_NAMES.numeric, width: numCount, features: pre.featureNames.slice(0, numCount) });
  }
  if (catCount > 0) {
    parts.push(g.input(ONNX_NAMES.categorical, [null, catCount]).name);
    inputs.push({
      name: ONNX_NAMES.categorical,
      width: catCount,
      features: pre.featureNames.slice(numCount),
    });
  }
  metadata["mmml.inputs"] = JSON.stringify(inputs);
  const name = parts.length === 1 ? parts[0] : g.node("Concat", parts, "features", [attr.int("axis", 1)]);
  return { name, shape: [null, pre.featureCount], channelsFirst: false };
}

/**
 * Converts `net` applied to `inputs`, following each output back through the layers' inbound nodes, so
 * functional graphs (residual adds, squeeze-excitation multiplies) and nested models work as well as
 * Sequential stacks.
 */
function convertModel(
  g: OnnxGraph,
  net: tf.LayersModel,
  inputs: GraphValue[],
  converters: Readonly<Record<string, Converter>>,
  weights: WeightValues | undefined,
): GraphValue[] {
  const values = new Map<number, GraphValue>();
  net.inputs.forEach((t, i) => values.set(t.id, inputs[i]));
  const valueOf = (t: tf.SymbolicTensor): GraphValue => {
    const known = values.get(t.id);
    if (known) return known;
    const layer = t.sourceLayer;
    if (layer.getClassName() === "InputLayer") {
      throw new Error(`Input ${t.name} of model "${net.name}" is not connected`);
    }
    const node = layer.inboundNodes[t.nodeIndex];
    const ins = node.inputTensors.map(valueOf);
    const outputShapes = node.outputTensors.map((o) => o.shape as (number | null)[]);
    const outs = layer instanceof tf.LayersModel
      ? convertModel(g, layer, ins, converters, weights)
      : [convertLayer({ g, layer, inputs: ins, outputShapes, weights }, converters)];
    node.outputTensors.forEach((o, i) => values.set(o.id, outs[i]));
    return values.get(t.id)!;
  };
  return net.outputs.map(valueOf);
}
