/**
 * Content fingerprints of data files, recorded with a trained model so that "which data made this
 * model" has an answer that survives renames and edits.
 */
import { MmmlError } from "../errors.ts";

/** SHA-256 of the file's bytes as lowercase hex. */
export async function fingerprintFile(path: string): Promise<string> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `Cannot fingerprint "${path}": file not found`, { cause: err });
    }
    throw err;
  }
  return await fingerprintBytes(bytes);
}

/** SHA-256 of the bytes as lowercase hex. */
export async function fingerprintBytes(bytes: BufferSource): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
