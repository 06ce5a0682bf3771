/**
 * Runs the same input through a tfjs model and its ONNX export on ONNX Runtime (CPU) and measures how
 * far apart the outputs are. Used by the parity tests of every architecture.
 */
import * as tf from "@tensorflow/tfjs";
import { createOnnxSession } from "../inference/onnx_session.ts";
import { exportOnnx, ONNX_NAMES } from "./onnx_exporter.ts";

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
  const bytes = exportOnnx(net, { inputShape: x.shape.slice(1), opset });
  const expected = tf.tidy(() => (net.predict(x) as tf.Tensor).dataSync() as Float32Array);
  const { session } = await createOnnxSession(bytes, { providers: ["cpu"] });
  try {
    const feed = { type: "float32" as const, data: x.dataSync() as Float32Array, dims: x.shape };
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
