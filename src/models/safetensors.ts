/**
 * Reads a safetensors file (huggingface/safetensors: 8-byte little-endian header length, a JSON header of
 * `name: {dtype, shape, data_offsets: [begin, end]}` plus an optional `__metadata__`, then the raw data),
 * checked as strictly as the reference implementation: offsets inside the data, in order, without holes
 * or overlaps, each spanning exactly shape x dtype size. Float tensors (F64, F32, F16, BF16) are read as
 * float32; integer ones are kept for what they are (a batch norm's num_batches_tracked) and never loaded
 * as weights. Pickled PyTorch files are not read: unpickling runs code.
 */
import { MmmlError } from "../errors.ts";

const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;
const FLOATS: ReadonlySet<string> = new Set(["F64", "F32", "F16", "BF16"]);

/** One tensor of the file; `floats()` decodes it (float dtypes only). */
export interface SafeTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  isFloat: boolean;
  floats(): Float32Array;
}

/** The file's first 8 bytes as a header length that fits the file and is followed by "{". */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > 1n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function decode(bytes: Uint8Array, dtype: SafetensorsDtype, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (dtype === "F32") {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (dtype === "F64") {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
  } else if (dtype === "F16") {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  } else {
    const word = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < count; i++) {
      word.setUint32(0, view.getUint16(2 * i, true) << 16, true);
      out[i] = word.getFloat32(0, true);
    }
  }
  return out;
}

/** Parses `bytes` (the file at `path`, for messages); every problem is invalid_input naming the tensor. */
export function parseSafetensors(
  bytes: Uint8Array,
  path: string,
): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  const bad = (what: string) =>
    new MmmlError("invalid_input", `Cannot read safetensors file "${path}": ${what}`);
  if (bytes.length < 8) throw bad(`it has ${bytes.length} bytes, fewer than the 8 of its header length`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) {
    throw bad(`the header claims ${declared} bytes, but the file has ${bytes.length - 8} after the length`);
  }
  const n = Number(declared);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw bad(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw bad("the header is not a JSON object");
  }
  const data = bytes.subarray(8 + n);
  const { __metadata__: metadata = {}, ...entries } = header as Record<string, unknown>;
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors = new Map<string, SafeTensor>();
  for (const [name, raw] of Object.entries(entries)) {
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e?.dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, e.dtype)) {
      throw bad(
        `tensor ${name}: dtype ${JSON.stringify(e?.dtype)} is not one mmml reads (${
          Object.keys(DTYPE_BYTES).join(", ")
        })`,
      );
    }
    const dtype = e.dtype as SafetensorsDtype;
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw bad(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of sizes`);
    }
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)
    ) {
      throw bad(`tensor ${name}: data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end - begin !== count * DTYPE_BYTES[dtype]) {
      throw bad(
        `tensor ${name}: data_offsets [${begin}, ${end}] span ${
          end - begin
        } bytes, but shape [${shape}] of ` +
          `${dtype} needs ${count * DTYPE_BYTES[dtype]}`,
      );
    }
    if (end > data.length) {
      throw bad(
        `tensor ${name} ends at data byte ${end}, but the data holds ${data.length} bytes (truncated?)`,
      );
    }
    spans.push({ name, begin, end });
    tensors.set(name, {
      name,
      dtype,
      shape: shape as number[],
      isFloat: FLOATS.has(dtype),
      floats: () => {
        if (!FLOATS.has(dtype)) throw bad(`tensor ${name} holds ${dtype}, not floating-point weights`);
        return decode(data.subarray(begin, end), dtype, count);
      },
    });
  }
  spans.sort((a, b) => a.begin - b.begin);
  let at = 0;
  for (const s of spans) {
    if (s.begin !== at) {
      throw bad(
        s.begin < at
          ? `tensor ${s.name} overlaps the one before it (data_offsets start at ${s.begin}, before ${at})`
          : `the data has a hole of ${s.begin - at} bytes before tensor ${s.name}`,
      );
    }
    at = s.end;
  }
  if (at !== data.length) throw bad(`the data holds ${data.length} bytes, but its tensors end at ${at}`);
  return { tensors, metadata: metadata as Record<string, string> };
}
