/**
 * Runs the same input through a tfjs model and its ONNX export on ONNX Runtime (CPU) and measures how
 * far apart the outputs are. Used by the parity tests of every architecture.
 */
import * as tf from "@tensorflow/tfjs";
import { createOnnxSession } from "../src/inference/onnx_session.ts";
import { exportOnnx, ONNX_NAMES } from "../src/export/onnx_exporter.ts";
import { readWeightValues } from "../src/export/onnx_layer_call.ts";

export interface ParityResult {
  maxAbsDiff: number;
  tfjs: Float32Array;
  onnx: Float32Array;
  shape: number[];
}

/** Exports `net` (image or plain feature input), runs `x` through both, and compares. */
export async function onnxParity(
  net: tf.LayersModel,
  x: tf.Tensor,
  { opset = 17 } = {},
): Promise<ParityResult> {
  // Asynchronous reads throughout, so the parity check runs on the webgpu backend too.
  const bytes = exportOnnx(net, {
    inputShape: x.shape.slice(1),
    opset,
    weights: await readWeightValues(net),
  });
  const probs = tf.tidy(() => net.predict(x) as tf.Tensor);
  const expected = await probs.data() as Float32Array;
  probs.dispose();
  const { session } = await createOnnxSession(bytes, { providers: ["cpu"] });
  try {
    const feed = { type: "float32" as const, data: await x.data() as Float32Array, dims: x.shape };
    const out = (await session.run({ [ONNX_NAMES.input]: feed }))[ONNX_NAMES.output];
    const got = out.data as Float32Array;
    return { maxAbsDiff: maxAbsDiff(expected, got), tfjs: expected, onnx: got, shape: out.dims };
  } finally {
    await session.close();
  }
}

/** Largest |a[i] - b[i]|; Infinity when the lengths differ or any difference is NaN. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return Infinity;
    if (d > m) m = d;
  }
  return m;
}
