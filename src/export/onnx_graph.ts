/**
 * A small builder for ONNX graphs on top of the `onnx-proto` (protobufjs) classes: nodes, float
 * initialisers stored as raw little-endian bytes, int64 constants, inputs/outputs with a symbolic batch
 * dimension, and the NHWC <-> NCHW bookkeeping the layer converters need.
 */
import onnx from "onnx-proto";

const P = onnx.onnx;
type Attribute = InstanceType<typeof P.AttributeProto>;

/** The ONNX element type of every tensor this exporter writes. */
export const FLOAT = P.TensorProto.DataType.FLOAT;
const INT64 = P.TensorProto.DataType.INT64;

/** The symbolic batch dimension's name in every exported graph. */
export const BATCH_DIM = "N";

/** Typed attribute builders: ONNX needs to know int vs float even where JS has one number type. */
export const attr = {
  int: (name: string, i: number): Attribute =>
    P.AttributeProto.create({ name, type: P.AttributeProto.AttributeType.INT, i }),
  ints: (name: string, ints: number[]): Attribute =>
    P.AttributeProto.create({ name, type: P.AttributeProto.AttributeType.INTS, ints }),
  float: (name: string, f: number): Attribute =>
    P.AttributeProto.create({ name, type: P.AttributeProto.AttributeType.FLOAT, f }),
} as const;

/**
 * A value flowing through the graph. `shape` is the tfjs shape (batch first, null where unknown);
 * `channelsFirst` says the ONNX tensor holds that rank-4 NHWC value transposed to NCHW, which is how
 * convolutions and pools want it. Everything else sees values in tfjs order.
 */
export interface GraphValue {
  name: string;
  shape: (number | null)[];
  channelsFirst: boolean;
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** Accumulates nodes and initialisers, then encodes a ModelProto. */
export class OnnxGraph {
  readonly opset: number;
  #nodes: InstanceType<typeof P.NodeProto>[] = [];
  #initializers: InstanceType<typeof P.TensorProto>[] = [];
  #inputs: InstanceType<typeof P.ValueInfoProto>[] = [];
  #outputs: InstanceType<typeof P.ValueInfoProto>[] = [];
  #used = new Set<string>();
  #transposed = new Map<string, GraphValue>();

  constructor(opset: number) {
    this.opset = opset;
  }

  /** A fresh value name based on `hint` (names must be unique within a graph). */
  fresh(hint: string): string {
    let name = hint;
    for (let i = 1; this.#used.has(name); i++) name = `${hint}_${i}`;
    this.#used.add(name);
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  node(opType: string, inputs: string[], hint: string, attributes: Attribute[] = []): string {
    const out = this.fresh(hint);
    this.#nodes.push(
      P.NodeProto.create({ opType, input: inputs, output: [out], name: out, attribute: attributes }),
    );
    return out;
  }

  /** A float32 initialiser, stored as raw bytes. */
  floats(hint: string, data: ArrayLike<number>, dims: number[]): string {
    const name = this.fresh(hint);
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    const count = dims.reduce((a, b) => a * b, 1);
    if (f32.length !== count) {
      throw new Error(`Initialiser ${name}: ${f32.length} values for shape [${dims}]`);
    }
    const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength).slice();
    this.#initializers.push(P.TensorProto.create({ name, dims, dataType: FLOAT, rawData: bytes }));
    return name;
  }

  /** An int64 initialiser (shapes, pads, axes). */
  int64s(hint: string, values: number[]): string {
    const name = this.fresh(hint);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    const rawData = new Uint8Array(data.buffer);
    this.#initializers.push(P.TensorProto.create({ name, dims: [values.length], dataType: INT64, rawData }));
    return name;
  }

  /** Declares a float32 graph input; `dims[0]` null becomes the symbolic batch dimension. */
  input(name: string, dims: (number | null)[]): GraphValue {
    this.#used.add(name);
    this.#inputs.push(valueInfo(name, dims));
    return { name, shape: dims, channelsFirst: false };
  }

  /** Keeps `names` (the graph's public input/output names) away from internal values. */
  reserve(...names: string[]): void {
    for (const n of names) this.#used.add(n);
  }

  /** Declares `value` (in tfjs order) as a graph output called `name`, which must have been reserved. */
  output(value: GraphValue, name: string): void {
    const v = this.layout(value, false);
    this.#nodes.push(
      P.NodeProto.create({ opType: "Identity", input: [v.name], output: [name], name: `${name}_out` }),
    );
    this.#outputs.push(valueInfo(name, v.shape));
  }

  /**
   * The same value in the wanted layout, transposing once and remembering it, so a tensor read by two
   * convolutions is not transposed twice.
   */
  layout(value: GraphValue, channelsFirst: boolean): GraphValue {
    if (value.channelsFirst === channelsFirst) return value;
    if (value.shape.length !== 4) {
      if (!channelsFirst) {
        throw new Error(`Value ${value.name} is channels-first but rank ${value.shape.length}`);
      }
      throw new Error(`Cannot make rank-${value.shape.length} value ${value.name} channels-first`);
    }
    const key = `${value.name}|${channelsFirst}`;
    const hit = this.#transposed.get(key);
    if (hit) return hit;
    const name = this.node("Transpose", [value.name], `${value.name}_${channelsFirst ? "nchw" : "nhwc"}`, [
      attr.ints("perm", channelsFirst ? TO_NCHW : TO_NHWC),
    ]);
    const out = { name, shape: value.shape, channelsFirst };
    this.#transposed.set(key, out);
    return out;
  }

  /** Encodes the graph as an ONNX model file. */
  encode(
    { graphName, producerVersion, metadata, docString }: {
      graphName: string;
      producerVersion: string;
      metadata: Record<string, string>;
      docString?: string;
    },
  ): Uint8Array {
    const model = P.ModelProto.create({
      // IR 8 is the first IR version that carries opset 17 and the last `onnx-proto` 8.x knows.
      irVersion: 8,
      opsetImport: [{ domain: "", version: this.opset }],
      producerName: "mmml",
      producerVersion,
      docString: docString ?? "",
      graph: {
        name: graphName,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
    return P.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, dims: (number | null)[]) {
  return P.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: {
          dim: dims.map((d, i) => d === null ? { dimParam: i === 0 ? BATCH_DIM : `d${i}` } : { dimValue: d }),
        },
      },
    },
  });
}
