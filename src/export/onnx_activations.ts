/**
 * TensorFlow.js activation functions as ONNX nodes, each written to match the tfjs formula exactly
 * (opset 13-17 has no Gelu or Swish op, so those are composed).
 */
import { attr, type GraphValue, type OnnxGraph } from "./onnx_graph.ts";

type Emit = (g: OnnxGraph, x: GraphValue, hint: string) => GraphValue;

const unary =
  (op: string, attrs: (() => ReturnType<typeof attr.float>[]) | null = null): Emit => (g, x, hint) => ({
    ...x,
    name: g.node(op, [x.name], `${hint}_${op.toLowerCase()}`, attrs ? attrs() : []),
  });

const scalar = (g: OnnxGraph, hint: string, v: number) => g.floats(hint, [v], []);

/** x * f(x) for the self-gated activations (swish, mish). */
const gated = (gate: Emit): Emit => (g, x, hint) => {
  const s = gate(g, x, hint);
  return { ...x, name: g.node("Mul", [x.name, s.name], `${hint}_gated`) };
};

/** Softmax over the last tfjs axis: values in channels-first layout are put back in tfjs order first. */
const softmaxLike = (op: "Softmax" | "LogSoftmax"): Emit => (g, x, hint) => {
  const v = g.layout(x, false);
  return { ...v, name: g.node(op, [v.name], `${hint}_${op.toLowerCase()}`, [attr.int("axis", -1)]) };
};

/** tfjs `selu` constants (tfjs-core selu_util), slightly different from ONNX's float32 defaults. */
const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.7580993408473768 / SELU_SCALE;

/** Activation name (as in a layer's config) -> ONNX emitter. */
export const ACTIVATIONS = {
  linear: (_g, x) => x,
  relu: unary("Relu"),
  relu6: (g, x, hint) => ({
    ...x,
    name: g.node("Clip", [x.name, scalar(g, `${hint}_min`, 0), scalar(g, `${hint}_max`, 6)], `${hint}_relu6`),
  }),
  sigmoid: unary("Sigmoid"),
  hardSigmoid: unary("HardSigmoid", () => [attr.float("alpha", 0.2), attr.float("beta", 0.5)]),
  tanh: unary("Tanh"),
  softplus: unary("Softplus"),
  softsign: unary("Softsign"),
  elu: unary("Elu", () => [attr.float("alpha", 1)]),
  selu: unary("Selu", () => [attr.float("alpha", SELU_ALPHA), attr.float("gamma", SELU_SCALE)]),
  softmax: softmaxLike("Softmax"),
  logSoftmax: softmaxLike("LogSoftmax"),
  swish: gated(unary("Sigmoid")),
  mish: gated((g, x, hint) => unary("Tanh")(g, unary("Softplus")(g, x, hint), hint)),
  // tfjs "gelu" is the exact erf form: x * 0.5 * (1 + erf(x / sqrt(2))).
  gelu: (g, x, hint) => {
    const scaled = g.node("Div", [x.name, scalar(g, `${hint}_sqrt2`, Math.SQRT2)], `${hint}_gelu_div`);
    const erf = g.node("Erf", [scaled], `${hint}_gelu_erf`);
    const onePlus = g.node("Add", [erf, scalar(g, `${hint}_one`, 1)], `${hint}_gelu_add`);
    const half = g.node("Mul", [onePlus, scalar(g, `${hint}_half`, 0.5)], `${hint}_gelu_half`);
    return { ...x, name: g.node("Mul", [x.name, half], `${hint}_gelu`) };
  },
  // tfjs "gelu_new": 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
  gelu_new: (g, x, hint) => {
    const cube = g.node("Pow", [x.name, scalar(g, `${hint}_three`, 3)], `${hint}_cube`);
    const inner = g.node("Add", [
      x.name,
      g.node("Mul", [cube, scalar(g, `${hint}_c`, 0.044715)], `${hint}_c3`),
    ], `${hint}_in`);
    const t = g.node("Tanh", [
      g.node("Mul", [inner, scalar(g, `${hint}_k`, Math.sqrt(2 / Math.PI))], `${hint}_k`),
    ], `${hint}_t`);
    const onePlus = g.node("Add", [t, scalar(g, `${hint}_one`, 1)], `${hint}_1p`);
    const xHalf = g.node("Mul", [x.name, scalar(g, `${hint}_half`, 0.5)], `${hint}_xh`);
    return { ...x, name: g.node("Mul", [xHalf, onePlus], `${hint}_gelu_new`) };
  },
} as const satisfies Record<string, Emit>;

/** Whether an activation name has an ONNX form here. */
export function isKnownActivation(name: string): name is keyof typeof ACTIVATIONS {
  return Object.hasOwn(ACTIVATIONS, name);
}
