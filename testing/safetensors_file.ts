/** Builds safetensors files for tests: named float32 tensors, or a header written by hand. */

/** The bytes of a safetensors file holding `tensors` (float32, row-major), with optional metadata. */
export function safetensorsBytes(
  tensors: Record<string, { shape: number[]; values: ArrayLike<number>; dtype?: "F32" | "I64" }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const blob = t.dtype === "I64"
      ? new Uint8Array(new BigInt64Array(Array.from(t.values, (v) => BigInt(v))).buffer)
      : new Uint8Array(new Float32Array(Array.from(t.values)).buffer);
    header[name] = { dtype: t.dtype ?? "F32", shape: t.shape, data_offsets: [offset, offset + blob.length] };
    blobs.push(blob);
    offset += blob.length;
  }
  return rawSafetensors(header, blobs);
}

/** A file from a header object as given (which may lie) and data blobs. */
export function rawSafetensors(header: unknown, blobs: Uint8Array[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const data = blobs.reduce((n, b) => n + b.length, 0);
  const bytes = new Uint8Array(8 + json.length + data);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  let at = 8 + json.length;
  for (const b of blobs) {
    bytes.set(b, at);
    at += b.length;
  }
  return bytes;
}
