/**
 * A small Predictor for the server's tests: a fixed linear-softmax model over numeric columns that
 * validates rows the way the ONNX predictor does (unknown, missing and non-numeric columns are errors
 * naming the row and column). Real arithmetic, no ONNX Runtime, so server tests run in milliseconds and
 * check real results. It also records each call's size, which is how the batching tests count calls.
 */
import { describeValue, MmmlError } from "../src/errors.ts";
import type { NamedTensor, Prediction, Predictor, TensorMeta } from "../src/inference/predictor_types.ts";
import type { Task } from "../src/config/schema.ts";
import type { ModelMeta } from "../src/registry/registry_types.ts";

export interface LinearPredictorOptions {
  name?: string;
  version?: number;
  task?: Task;
  /** Numeric feature columns (tabular); image models use two features of the encoded bytes. */
  columns?: string[];
  classes?: string[];
  /** One row of weights per class, one weight per feature. */
  weights?: number[][];
  bias?: number[];
  provider?: string;
  /** Milliseconds each call waits before answering (to hold requests in flight). */
  delayMs?: number;
}

export interface LinearPredictor extends Predictor {
  /** Row counts of each predictRows / predictImages / infer call, in order. */
  readonly calls: number[];
  readonly closed: boolean;
}

/** Softmax of W·x + b, computed in float64. */
export function linearSoftmax(weights: number[][], bias: number[], x: number[]): number[] {
  const z = weights.map((w, k) => w.reduce((s, wi, i) => s + wi * x[i], bias[k]));
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates the test predictor; defaults give a 3-class iris-like model over four columns. */
export function createLinearPredictor(
  {
    name = "iris",
    version = 1,
    task = "tabular",
    columns = task === "image"
      ? ["mean", "spread"]
      : ["sepal_length", "sepal_width", "petal_length", "petal_width"],
    classes = ["setosa", "versicolor", "virginica"],
    weights = classes.map((_, k) => columns.map((_, i) => ((k + 1) * (i + 2)) % 5 - 2)),
    bias = classes.map((_, k) => k * 0.1),
    provider = "cpu",
    delayMs = 0,
  }: LinearPredictorOptions = {},
): LinearPredictor {
  const calls: number[] = [];
  let closed = false;
  const meta: ModelMeta = {
    name,
    version,
    task,
    arch: "linear",
    created: "2024-01-01T00:00:00.000Z",
    backend: "test",
    classes,
    metrics: {},
    timings: {},
    data_fingerprint: "test",
    input_shape: [columns.length],
    stages: [],
    tags: [],
    files: {},
  };
  const toPrediction = (p: number[]): Prediction => {
    const best = p.indexOf(Math.max(...p));
    return { label: classes[best], probabilities: Object.fromEntries(classes.map((c, k) => [c, p[k]])) };
  };
  const begin = async (n: number) => {
    if (closed) throw new Error(`Predictor ${name}@${version} is closed`);
    calls.push(n);
    if (delayMs > 0) await sleep(delayMs);
  };

  // Keys beyond `columns` are ignored, as the real predictor does (extraColumns names them).
  const rowFeatures = (row: Record<string, unknown>, r: number): number[] => {
    return columns.map((col) => {
      const v = row[col];
      if (!(col in row)) {
        throw new MmmlError("schema_mismatch", `row ${r}, column "${col}": missing; expected a number`);
      }
      if (v === null) return 0;
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new MmmlError(
          "validation_failed",
          `row ${r}, column "${col}": expected a finite number, received ${describeValue(v)}`,
        );
      }
      return v;
    });
  };

  const inputMeta: TensorMeta = { name: "features", datatype: "FP32", shape: [-1, columns.length] };
  const outputMeta: TensorMeta[] = [
    { name: "probabilities", datatype: "FP32", shape: [-1, classes.length] },
    { name: "label", datatype: "INT64", shape: [-1] },
  ];

  return {
    name,
    version,
    meta,
    takes: meta.task === "image" ? "images" : "rows",
    extraColumns: (rows) =>
      [...new Set(rows.flatMap((row) => Object.keys(row as object)))].filter((k) => !columns.includes(k)),
    provider,
    loadSeconds: 0.012,
    get calls() {
      return calls;
    },
    get closed() {
      return closed;
    },
    async predictRows(rows) {
      if (task !== "tabular") {
        throw new MmmlError("unsupported", `Model ${name} is an image model; rows cannot be predicted`);
      }
      const features = rows.map(rowFeatures);
      await begin(rows.length);
      return features.map((x) => toPrediction(linearSoftmax(weights, bias, x)));
    },
    async predictImages(images) {
      if (task !== "image") {
        throw new MmmlError(
          "unsupported",
          `Image prediction is not available for tabular model ${name}@${version}`,
        );
      }
      const features = images.map((bytes, i) => {
        if (!PNG_SIGNATURE.every((b, j) => bytes[j] === b)) {
          throw new MmmlError(
            "invalid_input",
            `image ${i}: not a PNG image (the first bytes are not the PNG signature)`,
          );
        }
        const mean = bytes.reduce((a, b) => a + b, 0) / bytes.length;
        const spread = Math.sqrt(bytes.reduce((a, b) => a + (b - mean) ** 2, 0) / bytes.length);
        return [mean / 255, spread / 255];
      });
      await begin(images.length);
      return features.map((x) => toPrediction(linearSoftmax(weights, bias, x)));
    },
    async infer(inputs: NamedTensor[]) {
      const x = inputs.find((t) => t.name === "features");
      if (!x || x.shape.length !== 2 || x.shape[1] !== columns.length) {
        throw new Error(`infer: expected "features" of shape [n, ${columns.length}]`);
      }
      const n = x.shape[0];
      await begin(n);
      const probs = new Float32Array(n * classes.length);
      const labels = new BigInt64Array(n);
      for (let r = 0; r < n; r++) {
        const row = Array.from({ length: columns.length }, (_, i) => Number(x.data[r * columns.length + i]));
        const p = linearSoftmax(weights, bias, row);
        probs.set(p, r * classes.length);
        labels[r] = BigInt(p.indexOf(Math.max(...p)));
      }
      return [
        { name: "probabilities", datatype: "FP32", shape: [n, classes.length], data: probs },
        // ORT hands int64 back as BigInt64Array; the server must turn it into JSON numbers.
        { name: "label", datatype: "INT64", shape: [n], data: labels as unknown as ArrayLike<number> },
      ];
    },
    inputs: () => [inputMeta],
    outputs: () => outputMeta,
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}
