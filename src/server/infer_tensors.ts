/**
 * Open Inference Protocol v2 tensors: the request schema, and the checks that turn a request's inputs
 * into the predictor's `NamedTensor`s. Everything a model could choke on (names, datatypes, shapes,
 * element types and ranges) is checked here, so a bad tensor is a 400 naming the field and never
 * reaches ONNX Runtime to come back as a 500.
 */
import { z } from "zod";
import { describeValue, MmmlError } from "../errors.ts";
import type { NamedTensor, TensorMeta } from "../inference/predictor_types.ts";

/** Datatypes the predictor interface carries (a subset of the protocol's). */
export const TENSOR_DATATYPES = [
  "FP32",
  "FP64",
  "INT64",
  "INT32",
  "BYTES",
  "BOOL",
  "UINT8",
] as const satisfies readonly NamedTensor[
  "datatype"
][];

const parameters = z.record(z.string(), z.unknown()).optional();

/** One input tensor of an inference request. `data` is row-major, flat or nested. */
export const InferInput = z.strictObject({
  name: z.string().min(1).max(256),
  shape: z.array(z.number().int().min(1, "expected a positive dimension (empty tensors are not accepted)"))
    .max(16),
  datatype: z.enum(TENSOR_DATATYPES),
  parameters,
  data: z.array(z.unknown()),
});

/** Body of POST /v2/models/{name}[/versions/{v}]/infer. */
export const InferRequest = z.strictObject({
  id: z.string().max(256).optional(),
  parameters,
  inputs: z.array(InferInput).min(1).max(64),
  outputs: z.array(z.strictObject({ name: z.string().min(1).max(256), parameters })).optional(),
});
export type InferRequest = z.infer<typeof InferRequest>;
export type InferInput = z.infer<typeof InferInput>;

type Leaf = number | string | boolean;

/** Per datatype: does a JSON value fit, and what the message says it expected. */
const ELEMENT_RULES = {
  FP32: {
    ok: (v) => typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= 3.4028234663852886e38,
    expected: "a finite number within FP32 range",
  },
  FP64: { ok: (v) => typeof v === "number" && Number.isFinite(v), expected: "a finite number" },
  INT64: { ok: (v) => Number.isSafeInteger(v), expected: "an integer within ±2^53" },
  INT32: {
    ok: (v) => Number.isInteger(v) && (v as number) >= -2147483648 && (v as number) <= 2147483647,
    expected: "a 32-bit integer",
  },
  UINT8: {
    ok: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255,
    expected: "an integer from 0 to 255",
  },
  BOOL: { ok: (v) => typeof v === "boolean", expected: "true or false" },
  BYTES: { ok: (v) => typeof v === "string", expected: "a string" },
} as const satisfies Record<NamedTensor["datatype"], { ok: (v: unknown) => boolean; expected: string }>;

const shapeText = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** Flattens row-major data, nested no deeper than the tensor's rank. */
export function flattenData(data: unknown[], rank: number, field: string): unknown[] {
  const out: unknown[] = [];
  const walk = (values: unknown[], depth: number) => {
    for (const v of values) {
      if (!Array.isArray(v)) out.push(v);
      else if (depth + 1 < Math.max(rank, 1)) walk(v, depth + 1);
      else {throw new MmmlError(
          "invalid_input",
          `${field}: arrays are nested deeper than the shape's ${rank} dimension(s)`,
        );}
    }
  };
  walk(data, 0);
  return out;
}

function typedData(datatype: NamedTensor["datatype"], values: Leaf[]): NamedTensor["data"] {
  switch (datatype) {
    case "FP32":
      return Float32Array.from(values as number[]);
    case "FP64":
      return Float64Array.from(values as number[]);
    case "INT32":
      return Int32Array.from(values as number[]);
    case "UINT8":
      return Uint8Array.from(values as number[]);
    default:
      return values;
  }
}

/** Checks one request input against the model's input and returns it as a tensor. */
export function toNamedTensor(input: InferInput, meta: TensorMeta, field: string): NamedTensor {
  if (input.datatype !== meta.datatype) {
    throw new MmmlError(
      "invalid_input",
      `${field}.datatype: model input "${meta.name}" expects ${meta.datatype}, received ${input.datatype}`,
    );
  }
  const fits = input.shape.length === meta.shape.length &&
    meta.shape.every((d, i) => d < 0 || d === input.shape[i]);
  if (!fits) {
    throw new MmmlError(
      "invalid_input",
      `${field}.shape: model input "${meta.name}" expects ${shapeText(meta.shape)} (-1: any size), received ${
        shapeText(input.shape)
      }`,
    );
  }
  const values = flattenData(input.data, input.shape.length, `${field}.data`);
  const size = input.shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new MmmlError(
      "invalid_input",
      `${field}.data: shape ${shapeText(input.shape)} holds ${size} values, received ${values.length}`,
    );
  }
  const rule = ELEMENT_RULES[input.datatype];
  for (let i = 0; i < values.length; i++) {
    if (!rule.ok(values[i])) {
      throw new MmmlError(
        "invalid_input",
        `${field}.data[${i}] (row-major): expected ${rule.expected} for ${input.datatype}, received ${
          describeValue(values[i])
        }`,
      );
    }
  }
  return {
    name: input.name,
    shape: input.shape,
    datatype: input.datatype,
    data: typedData(input.datatype, values as Leaf[]),
  };
}

/** Checks the whole input list against the model: every input present once, nothing unknown. */
export function toNamedTensors(inputs: InferInput[], metas: TensorMeta[], model: string): NamedTensor[] {
  const seen = new Set<string>();
  const tensors = inputs.map((input, i) => {
    const field = `inputs[${i}]`;
    if (seen.has(input.name)) {
      throw new MmmlError("invalid_input", `${field}.name: input "${input.name}" is given twice`);
    }
    seen.add(input.name);
    const meta = metas.find((m) => m.name === input.name);
    if (!meta) {
      throw new MmmlError(
        "invalid_input",
        `${field}.name: model "${model}" has no input ${JSON.stringify(input.name)}; its inputs: ${
          metas.map((m) => m.name).join(", ")
        }`,
      );
    }
    return toNamedTensor(input, meta, field);
  });
  const missing = metas.filter((m) => !seen.has(m.name));
  if (missing.length) {
    throw new MmmlError(
      "invalid_input",
      `inputs: model "${model}" needs input(s) ${
        missing.map((m) => `"${m.name}"`).join(", ")
      }, which the request lacks`,
    );
  }
  // Variable leading dimensions are the batch: ORT fails (as an internal error) when inputs disagree.
  const batch = tensors.filter((_t, i) => metas.find((m) => m.name === inputs[i].name)!.shape[0] === -1);
  if (batch.some((t) => t.shape[0] !== batch[0].shape[0])) {
    throw new MmmlError(
      "invalid_input",
      `inputs: batch sizes differ (${
        batch.map((t) => `${t.name}: ${t.shape[0]}`).join(", ")
      }); the first dimension must agree`,
    );
  }
  return tensors;
}

/** A predictor output as protocol JSON: plain arrays, 64-bit integers as numbers, NaN as null. */
export function tensorToJson(
  t: NamedTensor,
): { name: string; shape: number[]; datatype: string; data: unknown[] } {
  const data = Array.from(t.data as ArrayLike<unknown>, (v) => typeof v === "bigint" ? Number(v) : v);
  return { name: t.name, shape: [...t.shape], datatype: t.datatype, data };
}
