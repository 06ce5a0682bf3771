import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import type { TensorMeta } from "../inference/predictor_types.ts";
import { flattenData, type InferInput, InferRequest, tensorToJson, toNamedTensors } from "./infer_tensors.ts";

const metas: TensorMeta[] = [{ name: "features", datatype: "FP32", shape: [-1, 3] }];
const input = (over: Partial<InferInput> = {}): InferInput => ({
  name: "features",
  shape: [2, 3],
  datatype: "FP32",
  data: [1, 2, 3, 4, 5, 6],
  ...over,
});
const messageOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MmmlError, String(err));
    return err.message;
  }
  return "no error";
};

Deno.test("infer tensors: nested data is flattened row-major into a typed array", () => {
  const [t] = toNamedTensors([input({ data: [[1, 2, 3], [4, 5, 6]] })], metas, "m");
  assert.ok(t.data instanceof Float32Array);
  assert.deepEqual(Array.from(t.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual(flattenData([[[1], [2]], [[3], [4]]], 3, "d"), [1, 2, 3, 4]);
});

Deno.test("infer tensors: shape, size and nesting errors name the field and the values", () => {
  assert.equal(
    messageOf(() => toNamedTensors([input({ shape: [2, 4] })], metas, "m")),
    'inputs[0].shape: model input "features" expects [-1, 3] (-1: any size), received [2, 4]',
  );
  assert.equal(
    messageOf(() => toNamedTensors([input({ data: [1, 2, 3, 4, 5] })], metas, "m")),
    "inputs[0].data: shape [2, 3] holds 6 values, received 5",
  );
  assert.equal(
    messageOf(() => toNamedTensors([input({ data: [[[1, 2, 3]], [[4, 5, 6]]] })], metas, "m")),
    "inputs[0].data: arrays are nested deeper than the shape's 2 dimension(s)",
  );
});

Deno.test("infer tensors: elements must fit the datatype", () => {
  assert.equal(
    messageOf(() => toNamedTensors([input({ data: [1, 2, "x", 4, 5, 6] })], metas, "m")),
    'inputs[0].data[2] (row-major): expected a finite number within FP32 range for FP32, received "x"',
  );
  assert.match(
    messageOf(() => toNamedTensors([input({ data: [1, 2, 3, 4, 5, 1e39] })], metas, "m")),
    /data\[5\].*received 1e\+39/,
  );
  const ints: TensorMeta[] = [{ name: "ids", datatype: "UINT8", shape: [-1] }];
  const u8 = (data: unknown[]) =>
    toNamedTensors([{ name: "ids", shape: [data.length], datatype: "UINT8", data }], ints, "m");
  assert.deepEqual(Array.from(u8([0, 255])[0].data), [0, 255]);
  assert.match(messageOf(() => u8([256])), /expected an integer from 0 to 255 for UINT8, received 256/);
  assert.match(messageOf(() => u8([1.5])), /received 1.5/);
});

Deno.test("infer tensors: unknown, repeated, missing and mistyped inputs are refused", () => {
  assert.match(
    messageOf(() => toNamedTensors([input({ name: "x" })], metas, "m")),
    /inputs\[0\]\.name: model "m" has no input "x"; its inputs: features/,
  );
  assert.match(
    messageOf(() => toNamedTensors([input(), input()], metas, "m")),
    /inputs\[1\]\.name: input "features" is given twice/,
  );
  assert.match(
    messageOf(() => toNamedTensors([input({ datatype: "FP64" })], metas, "m")),
    /expects FP32, received FP64/,
  );
  const two: TensorMeta[] = [...metas, { name: "mask", datatype: "BOOL", shape: [-1] }];
  assert.match(
    messageOf(() => toNamedTensors([input()], two, "m")),
    /needs input\(s\) "mask", which the request lacks/,
  );
  const mask = { name: "mask", shape: [3], datatype: "BOOL" as const, data: [true, false, true] };
  assert.match(
    messageOf(() => toNamedTensors([input(), mask], two, "m")),
    /batch sizes differ \(features: 2, mask: 3\)/,
  );
});

Deno.test("InferRequest schema rejects empty tensors, unknown keys and unsupported datatypes", () => {
  const bad = [
    { inputs: [] },
    { inputs: [{ ...input(), shape: [0, 3] }] },
    { inputs: [{ ...input(), datatype: "FP16" }] },
    { inputs: [{ ...input(), extra: 1 }] },
    { inputs: [input()], outputs: [{}] },
  ];
  for (const body of bad) assert.equal(InferRequest.safeParse(body).success, false, JSON.stringify(body));
  assert.equal(
    InferRequest.safeParse({ id: "r1", inputs: [input()], outputs: [{ name: "p" }] }).success,
    true,
  );
});

Deno.test("tensorToJson turns typed arrays and 64-bit integers into JSON arrays", () => {
  const json = tensorToJson({
    name: "l",
    shape: [2],
    datatype: "INT64",
    data: BigInt64Array.from([3n, 4n]) as unknown as number[],
  });
  assert.equal(JSON.stringify(json), '{"name":"l","shape":[2],"datatype":"INT64","data":[3,4]}');
});
