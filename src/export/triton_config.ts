/**
 * A Triton model configuration (`config.pbtxt`, protobuf text format of Triton's `inference.ModelConfig`)
 * for one exported ONNX model: the onnxruntime backend, inputs and outputs with their Triton data types,
 * the batch dimension left to Triton (`max_batch_size` > 0 when every tensor's first dimension is
 * variable), dynamic batching, and a label file on a classifier's output so Triton's classification
 * extension (and KServe over it) can answer class names.
 */

/** The OIP v2 / KServe datatypes and their Triton config names (Triton's model_config.proto DataType). */
const TRITON_TYPES = {
  BOOL: "TYPE_BOOL",
  UINT8: "TYPE_UINT8",
  UINT16: "TYPE_UINT16",
  UINT32: "TYPE_UINT32",
  UINT64: "TYPE_UINT64",
  INT8: "TYPE_INT8",
  INT16: "TYPE_INT16",
  INT32: "TYPE_INT32",
  INT64: "TYPE_INT64",
  FP16: "TYPE_FP16",
  FP32: "TYPE_FP32",
  FP64: "TYPE_FP64",
  BYTES: "TYPE_STRING",
} as const;

export type TensorDatatype = keyof typeof TRITON_TYPES;

/** One graph input or output as the ONNX session reports it (-1 for a variable dimension). */
export interface TritonTensor {
  name: string;
  datatype: TensorDatatype;
  shape: number[];
}

export interface TritonModelSpec {
  /** The model's name in the repository (its folder name). */
  name: string;
  inputs: TritonTensor[];
  outputs: TritonTensor[];
  /** Largest batch Triton may form; ignored (0) when a tensor has a fixed first dimension. */
  maxBatchSize: number;
  /** Output name -> label file in the model folder, one class per line in output order. */
  labelFiles?: Record<string, string>;
  /** How long dynamic batching may hold a request to fill a batch. */
  maxQueueDelayMicroseconds?: number;
  /** A comment line at the top (what wrote the file). */
  comment?: string;
}

/** Whether Triton may batch: every tensor's first dimension is variable. */
export function batchable(spec: Pick<TritonModelSpec, "inputs" | "outputs">): boolean {
  return [...spec.inputs, ...spec.outputs].every((t) => t.shape.length > 0 && t.shape[0] === -1);
}

const quote = (s: string) => JSON.stringify(s); // protobuf text strings take the same escapes

function tensorBlock(t: TritonTensor, batched: boolean, labelFile?: string): string {
  const type = TRITON_TYPES[t.datatype];
  if (!type) throw new Error(`tensor "${t.name}": datatype ${t.datatype} has no Triton equivalent`);
  const dims = batched ? t.shape.slice(1) : t.shape;
  const lines = [
    `    name: ${quote(t.name)}`,
    `    data_type: ${type}`,
    `    dims: [ ${dims.length ? dims.join(", ") : "1"} ]`,
  ];
  if (dims.length === 0) lines.push(`    reshape: { shape: [ ] }`);
  if (labelFile) lines.push(`    label_filename: ${quote(labelFile)}`);
  return `  {\n${lines.join("\n")}\n  }`;
}

/** The text of config.pbtxt for `spec`. */
export function tritonConfigText(spec: TritonModelSpec): string {
  const batched = batchable(spec) && spec.maxBatchSize > 0;
  const out: string[] = [];
  if (spec.comment) out.push(`# ${spec.comment}`);
  out.push(`name: ${quote(spec.name)}`);
  out.push(`backend: "onnxruntime"`);
  out.push(`max_batch_size: ${batched ? spec.maxBatchSize : 0}`);
  out.push(`input [\n${spec.inputs.map((t) => tensorBlock(t, batched)).join(",\n")}\n]`);
  out.push(
    `output [\n${spec.outputs.map((t) => tensorBlock(t, batched, spec.labelFiles?.[t.name])).join(",\n")}\n]`,
  );
  if (batched) {
    out.push(
      `dynamic_batching {\n  max_queue_delay_microseconds: ${spec.maxQueueDelayMicroseconds ?? 100}\n}`,
    );
  }
  out.push(`version_policy: { latest: { num_versions: 1 } }`);
  return out.join("\n") + "\n";
}
