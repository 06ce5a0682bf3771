/**
 * Reads a Triton config.pbtxt against the part of Triton's `inference.ModelConfig` schema that mmml
 * writes, with protobufjs (already in the dependency tree through onnx-proto): the text is parsed as
 * protobuf text format guided by the schema (every field name, enum value and nesting must exist in it),
 * then checked by the library's verify and a binary encode/decode round trip. Field names and numbers
 * follow Triton's model_config.proto (triton-inference-server/common, protobuf/model_config.proto).
 */
import protobuf from "protobufjs";

const DATA_TYPES = [
  "TYPE_INVALID",
  "TYPE_BOOL",
  "TYPE_UINT8",
  "TYPE_UINT16",
  "TYPE_UINT32",
  "TYPE_UINT64",
  "TYPE_INT8",
  "TYPE_INT16",
  "TYPE_INT32",
  "TYPE_INT64",
  "TYPE_FP16",
  "TYPE_FP32",
  "TYPE_FP64",
  "TYPE_STRING",
  "TYPE_BF16",
];

const SCHEMA = {
  nested: {
    inference: {
      nested: {
        DataType: { values: Object.fromEntries(DATA_TYPES.map((n, i) => [n, i])) },
        ModelTensorReshape: { fields: { shape: { rule: "repeated", type: "int64", id: 1 } } },
        ModelInput: {
          fields: {
            name: { type: "string", id: 1 },
            data_type: { type: "DataType", id: 2 },
            format: { type: "Format", id: 3 },
            dims: { rule: "repeated", type: "int64", id: 4 },
            reshape: { type: "ModelTensorReshape", id: 5 },
          },
          nested: { Format: { values: { FORMAT_NONE: 0, FORMAT_NHWC: 1, FORMAT_NCHW: 2 } } },
        },
        ModelOutput: {
          fields: {
            name: { type: "string", id: 1 },
            data_type: { type: "DataType", id: 2 },
            dims: { rule: "repeated", type: "int64", id: 3 },
            label_filename: { type: "string", id: 4 },
            reshape: { type: "ModelTensorReshape", id: 5 },
          },
        },
        ModelDynamicBatching: {
          fields: {
            preferred_batch_size: { rule: "repeated", type: "int32", id: 1 },
            max_queue_delay_microseconds: { type: "uint64", id: 2 },
          },
        },
        ModelVersionPolicy: {
          oneofs: { policy_choice: { oneof: ["latest", "all", "specific"] } },
          fields: {
            latest: { type: "Latest", id: 1 },
            all: { type: "All", id: 2 },
            specific: { type: "Specific", id: 3 },
          },
          nested: {
            Latest: { fields: { num_versions: { type: "uint32", id: 1 } } },
            All: { fields: {} },
            Specific: { fields: { versions: { rule: "repeated", type: "int64", id: 1 } } },
          },
        },
        ModelConfig: {
          fields: {
            name: { type: "string", id: 1 },
            platform: { type: "string", id: 2 },
            backend: { type: "string", id: 17 },
            version_policy: { type: "ModelVersionPolicy", id: 3 },
            max_batch_size: { type: "int32", id: 4 },
            input: { rule: "repeated", type: "ModelInput", id: 5 },
            output: { rule: "repeated", type: "ModelOutput", id: 6 },
            dynamic_batching: { type: "ModelDynamicBatching", id: 11 },
          },
        },
      },
    },
  },
};

const MODEL_CONFIG = protobuf.Root.fromJSON(SCHEMA).lookupType("inference.ModelConfig");

type Value = string | number | boolean | Record<string, unknown>;

/** Tokens of protobuf text format: strings, words/numbers and punctuation; # comments dropped. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s+|#[^\n]*|("(?:[^"\\]|\\.)*")|([A-Za-z0-9_.+-]+)|([{}[\]:,;<>])/y;
  for (let i = 0; i < text.length;) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw new Error(`config.pbtxt: unexpected character ${JSON.stringify(text[i])} at offset ${i}`);
    if (m[1] ?? m[2] ?? m[3]) tokens.push(m[1] ?? m[2] ?? m[3]);
    i = re.lastIndex;
  }
  return tokens;
}

function parseMessage(tokens: string[], at: { i: number }, type: protobuf.Type, end: string | null) {
  const out: Record<string, unknown> = {};
  while (at.i < tokens.length && tokens[at.i] !== end) {
    const name = tokens[at.i++];
    const field = type.fields[name];
    if (!field) throw new Error(`config.pbtxt: ${type.name} has no field "${name}"`);
    field.resolve();
    if (tokens[at.i] === ":") at.i++;
    const one = (): Value => {
      const tok = tokens[at.i++];
      if (field.resolvedType instanceof protobuf.Type) {
        const close = tok === "{" ? "}" : tok === "<" ? ">" : null;
        if (!close) throw new Error(`config.pbtxt: ${name}: expected a message, received ${tok}`);
        const value = parseMessage(tokens, at, field.resolvedType, close);
        at.i++;
        return value;
      }
      if (field.resolvedType instanceof protobuf.Enum) {
        if (!(tok in field.resolvedType.values)) {
          throw new Error(`config.pbtxt: ${name}: ${tok} is not a value of ${field.resolvedType.name}`);
        }
        return tok;
      }
      if (field.type === "string") {
        if (!tok?.startsWith('"')) {
          throw new Error(`config.pbtxt: ${name}: expected a string, received ${tok}`);
        }
        return JSON.parse(tok);
      }
      if (field.type === "bool") return tok === "true";
      if (!/^-?\d+(\.\d+)?$/.test(tok)) {
        throw new Error(`config.pbtxt: ${name}: expected a number, received ${tok}`);
      }
      return Number(tok);
    };
    const values: Value[] = [];
    if (tokens[at.i] === "[") {
      at.i++;
      while (tokens[at.i] !== "]") {
        values.push(one());
        if (tokens[at.i] === ",") at.i++;
      }
      at.i++;
    } else values.push(one());
    if (field.repeated) out[name] = [...(out[name] as Value[] ?? []), ...values];
    else if (values.length !== 1 || name in out) throw new Error(`config.pbtxt: ${name} is not repeated`);
    else out[name] = values[0];
    if (tokens[at.i] === "," || tokens[at.i] === ";") at.i++;
  }
  return out;
}

/** Parses config.pbtxt text into a plain object; throws naming what does not fit Triton's schema. */
export function parseTritonConfig(text: string): Record<string, unknown> {
  const object = parseMessage(tokenize(text), { i: 0 }, MODEL_CONFIG, null);
  const problem = MODEL_CONFIG.verify(MODEL_CONFIG.fromObject(object));
  if (problem) throw new Error(`config.pbtxt: ${problem}`);
  const bytes = MODEL_CONFIG.encode(MODEL_CONFIG.fromObject(object)).finish();
  return MODEL_CONFIG.toObject(MODEL_CONFIG.decode(bytes), { enums: String, longs: Number, defaults: false });
}
