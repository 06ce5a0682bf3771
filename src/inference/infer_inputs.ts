/**
 * Parses Open Inference Protocol v2 input tensors against a model's inputs: every name known and given
 * once, datatypes equal, shapes matching the fixed dimensions with one batch size, data the right length
 * and numeric. Each failure is a `validation_failed` error naming the tensor.
 */
import { describeValue, MmmlError } from "../errors.ts";
import type { TensorData } from "./onnx_session.ts";
import { FLOAT32_MAX } from "./tabular_input.ts";
import type { NamedTensor, TensorMeta } from "./predictor_types.ts";

const invalid = (msg: string, tensor?: string) =>
  new MmmlError("validation_failed", msg, { details: tensor ? { tensor } : undefined });

/** OIP v2 tensors -> ONNX Runtime feeds for `expected` (the model's inputs). */
export function parseInferInputs(
  inputs: readonly NamedTensor[],
  expected: readonly TensorMeta[],
): Record<string, TensorData> {
  if (!Array.isArray(inputs)) {
    throw invalid(`inputs: expected an array of tensors, received ${typeof inputs}`);
  }
  const byName = new Map(expected.map((e) => [e.name, e]));
  const expectedNames = expected.map((e) => e.name).join(", ");
  const feeds: Record<string, TensorData> = {};
  let batch: number | null = null;
  for (const [i, t] of inputs.entries()) {
    if (t === null || typeof t !== "object" || typeof t.name !== "string") {
      throw invalid(`inputs[${i}]: expected a tensor with a string "name", received ${describeValue(t)}`);
    }
    const spec = byName.get(t.name);
    if (!spec) throw invalid(`unknown input tensor "${t.name}"; this model takes: ${expectedNames}`, t.name);
    if (feeds[t.name]) throw invalid(`input tensor "${t.name}" is given more than once`, t.name);
    if (t.datatype !== spec.datatype) {
      throw invalid(
        `input tensor "${t.name}": expected datatype ${spec.datatype}, received ${String(t.datatype)}`,
        t.name,
      );
    }
    const shape = t.shape;
    const shapeText = Array.isArray(shape) ? `[${shape.join(", ")}]` : String(shape);
    const want = `[${spec.shape.map((d) => d < 0 ? "N" : d).join(", ")}]`;
    if (
      !Array.isArray(shape) || shape.length !== spec.shape.length ||
      !shape.every((d, i) => Number.isSafeInteger(d) && d >= 0 && (spec.shape[i] < 0 || spec.shape[i] === d))
    ) {
      throw invalid(`input tensor "${t.name}": expected shape ${want}, received ${shapeText}`, t.name);
    }
    if (batch !== null && shape[0] !== batch) {
      throw invalid(
        `input tensor "${t.name}": batch size ${shape[0]} differs from the other inputs' ${batch}`,
        t.name,
      );
    }
    batch = shape[0];
    const count = shape.reduce((a, b) => a * b, 1);
    const data = t.data;
    if (!data || typeof data !== "object" || typeof data.length !== "number" || data.length !== count) {
      const got = data && typeof data.length === "number" ? `${data.length} values` : typeof data;
      throw invalid(
        `input tensor "${t.name}": shape ${shapeText} needs ${count} values, received ${got}`,
        t.name,
      );
    }
    if (spec.datatype !== "FP32") {
      throw invalid(`input tensor "${t.name}": datatype ${spec.datatype} is not served`, t.name);
    }
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const v = data[i];
      if (typeof v !== "number") {
        throw invalid(
          `input tensor "${t.name}": element ${i} is not a number, received ${JSON.stringify(v) ?? typeof v}`,
          t.name,
        );
      }
      if (!(Math.abs(v) <= FLOAT32_MAX)) {
        throw invalid(
          `input tensor "${t.name}": element ${i} is outside float32 range, received ${v}`,
          t.name,
        );
      }
      values[i] = v;
    }
    feeds[t.name] = { type: "float32", data: values, dims: [...shape] };
  }
  for (const e of expected) {
    if (!feeds[e.name]) {
      throw invalid(
        `missing input tensor "${e.name}" (shape [${e.shape.map((d) => d < 0 ? "N" : d).join(", ")}])`,
        e.name,
      );
    }
  }
  return feeds;
}
