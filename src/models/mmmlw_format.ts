/**
 * The MMMLW1 weights file (layout documented in pretrained.ts): its header schema and a checked parse.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { MmmlError } from "../errors.ts";

/** The file's first bytes. */
export const PRETRAINED_MAGIC = "MMMLW1";
export const PREFIX = PRETRAINED_MAGIC.length + 4;

export const Header = z.looseObject({
  format: z.literal(PRETRAINED_MAGIC),
  arch: z.string().optional(),
  numClasses: z.number().optional(),
  weights: z.array(z.strictObject({
    name: z.string(),
    shape: z.array(z.number().int().nonnegative()),
    dtype: z.literal("float32"),
    offset: z.number().int().nonnegative(),
  })),
});
export type Header = z.infer<typeof Header>;

/** Splits an MMMLW1 file into its header and a view of its data, checking every weight lies inside it. */
export function parsePretrained(bytes: Uint8Array, path: string): { header: Header; data: DataView } {
  const bad = (what: string, cause?: unknown) =>
    new MmmlError("invalid_input", `Cannot read pretrained weights "${path}": ${what}`, { cause });
  const magic = new TextDecoder().decode(bytes.subarray(0, PRETRAINED_MAGIC.length));
  if (bytes.length < PREFIX || magic !== PRETRAINED_MAGIC) {
    throw bad(`expected a file starting with "${PRETRAINED_MAGIC}", received ${JSON.stringify(magic)}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(PRETRAINED_MAGIC.length, true);
  if (PREFIX + headerLength > bytes.length) {
    throw bad(
      `the header claims ${headerLength} bytes, but the file has ${bytes.length - PREFIX} after the prefix`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + headerLength)));
  } catch (err) {
    throw bad(`the header is not valid JSON (${(err as Error).message})`, err);
  }
  const parsed = Header.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad(`header.${issue.path.join(".")}: ${issue.message}`, parsed.error);
  }
  const dataLength = bytes.length - PREFIX - headerLength;
  const seen = new Set<string>();
  for (const w of parsed.data.weights) {
    if (seen.has(w.name)) throw bad(`header.weights names ${w.name} twice`);
    seen.add(w.name);
    const end = w.offset + 4 * tf.util.sizeFromShape(w.shape);
    if (end > dataLength) {
      throw bad(
        `weight ${w.name} ends at data byte ${end}, but the data holds ${dataLength} bytes (truncated?)`,
      );
    }
  }
  return { header: parsed.data, data: new DataView(bytes.buffer, bytes.byteOffset + PREFIX + headerLength) };
}

export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `count` little-endian float32 values at byte `offset` of `data`, copied out. */
export function readFloats(data: DataView, offset: number, count: number): Float32Array {
  const at = data.byteOffset + offset;
  if (LITTLE_ENDIAN && at % 4 === 0) return new Float32Array(data.buffer.slice(at, at + 4 * count));
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = data.getFloat32(offset + 4 * i, true);
  return values;
}
