/**
 * Reads a request body under a byte limit. The declared Content-Length is checked first so an honest
 * oversize upload is refused before a byte is read; the streamed bytes are counted too, because a
 * chunked body has no length and a client may lie about it.
 */
import type { Context } from "hono";
import { MmmlError } from "../errors.ts";
import type { ServerEnv } from "./server_env.ts";

/** `16 MiB`, `64 KiB`, `100 bytes`: the limit as a person reads it. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function tooLarge(maxBytes: number, received: string): MmmlError {
  return new MmmlError(
    "payload_too_large",
    `Request body is over the limit of ${formatBytes(maxBytes)} (${maxBytes} bytes); received ${received}`,
    { details: { limit: maxBytes } },
  );
}

/** The body's bytes, read once per request (later calls get the same bytes). */
export async function readBody(c: Context<ServerEnv>, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const cached = c.get("body");
  if (cached) return cached;
  const declared = c.req.header("content-length");
  if (declared !== undefined) {
    if (!/^\s*\d+\s*$/.test(declared)) {
      throw new MmmlError(
        "invalid_input",
        `Content-Length header: expected a byte count, received ${JSON.stringify(declared)}`,
      );
    }
    const n = Number(declared);
    if (n > maxBytes) throw tooLarge(maxBytes, `a Content-Length of ${n} bytes`);
  }
  const stream = c.req.raw.body;
  let body = new Uint8Array(0);
  if (stream) {
    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        // The client went away or broke the framing mid-body: its fault, not the server's.
        throw new MmmlError(
          "invalid_input",
          `Request body could not be read to the end: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      const { done, value } = chunk;
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        // Stop reading: the rest of an oversize body is never buffered.
        reader.cancel().catch(() => {});
        throw tooLarge(maxBytes, `more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
    body = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
  }
  c.set("body", body);
  return body;
}
