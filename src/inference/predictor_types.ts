/**
 * What the server and `mmml predict` use: a loaded model answering predictions. Implemented over ONNX
 * Runtime by src/inference/predictor.ts.
 */
import type { ModelMeta } from "../registry/registry_types.ts";

/** A classifier's answer for one row or image. */
export interface ClassPrediction {
  label: string;
  /** Probability per class name, every class present. */
  probabilities: Record<string, number>;
}

/** A regression's answer for one row: the predicted value in the target's unit. */
export interface ValuePrediction {
  value: number;
}

export type Prediction = ClassPrediction | ValuePrediction;

/** A named tensor as in the Open Inference Protocol v2 (row-major data). */
export interface NamedTensor {
  name: string;
  shape: number[];
  datatype: "FP32" | "FP64" | "INT64" | "INT32" | "BYTES" | "BOOL" | "UINT8";
  data: ArrayLike<number | string | boolean>;
}

export interface TensorMeta {
  name: string;
  datatype: NamedTensor["datatype"];
  /** -1 for a variable dimension. */
  shape: number[];
}

export interface Predictor {
  readonly name: string;
  readonly version: number;
  readonly meta: ModelMeta;
  /** What the model answers: table rows (classes or a value) or encoded images. */
  readonly takes: "rows" | "images";
  /** The execution provider the ORT session really got ("cpu", "cuda", ...). */
  readonly provider: string;
  readonly loadSeconds: number;
  /**
   * Tabular: the keys of `rows` the model does not read (nor its label), in first-seen order; they are
   * ignored by predictRows, and a caller may refuse them instead.
   */
  extraColumns(rows: readonly unknown[]): string[];
  /** Tabular: rows keyed by column name, validated against the saved schema. */
  predictRows(rows: Record<string, unknown>[]): Promise<Prediction[]>;
  /** Image: encoded PNG/JPEG bytes. */
  predictImages(images: Uint8Array[], options?: { signal?: AbortSignal }): Promise<Prediction[]>;
  /** Raw tensor inference in the model's own input/output names (OIP v2). */
  infer(inputs: NamedTensor[]): Promise<NamedTensor[]>;
  inputs(): TensorMeta[];
  outputs(): TensorMeta[];
  close(): Promise<void>;
}
