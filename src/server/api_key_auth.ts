/**
 * Optional API-key auth for the routes that run models. Off by default; when on, a request must carry
 * one of the configured keys in the configured header, or it gets 401 before its body is read.
 */
import type { MiddlewareHandler } from "hono";
import { MmmlError } from "../errors.ts";
import type { ServerEnv } from "./server_env.ts";

const encoder = new TextEncoder();

/** Compares in time that depends on the lengths only, so a key cannot be guessed byte by byte. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Middleware: 401 unless `header` holds one of `keys`. */
export function apiKeyAuth(
  { header, keys }: { header: string; keys: readonly string[] },
): MiddlewareHandler<ServerEnv> {
  if (keys.length === 0) {
    throw new MmmlError(
      "config_invalid",
      "serving.auth.enabled is true but no API keys are configured; set MMML_API_KEYS or serving.auth.keys",
    );
  }
  return async (c, next) => {
    const given = c.req.header(header);
    // Check every key, whatever matched, so timing does not tell which key was close.
    let ok = false;
    for (const key of keys) ok = constantTimeEqual(given ?? "", key) || ok;
    if (!given || !ok) {
      throw new MmmlError(
        "unauthorized",
        given
          ? `The API key in header "${header}" is not valid`
          : `Missing API key: send it in header "${header}"`,
      );
    }
    await next();
  };
}
