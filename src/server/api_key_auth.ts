/**
 * Optional API-key auth. Off by default; when on, every route needs one of the configured keys in the
 * configured header (401 before its body is read) except the open ones a load balancer or a scraper must
 * reach without a key, as Triton's and KServe's health endpoints are: liveness, readiness (the server's
 * and each model's), the OIP v2 server metadata and Prometheus metrics. Those carry nothing a stranger
 * should not see: /health shows the host report (doctor) only to a request with a valid key.
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

/** Whether `given` is one of `keys`; every key is compared, so timing does not tell which was close. */
export function isValidKey(given: string | undefined, keys: readonly string[]): boolean {
  let ok = false;
  for (const key of keys) ok = constantTimeEqual(given ?? "", key) || ok;
  return Boolean(given) && ok;
}

/** Middleware: 401 unless `header` holds one of `keys`, for every path `open` does not match. */
export function apiKeyAuth(
  { header, keys, open = [] }: { header: string; keys: readonly string[]; open?: readonly RegExp[] },
): MiddlewareHandler<ServerEnv> {
  if (keys.length === 0) {
    throw new MmmlError(
      "config_invalid",
      "serving.auth.enabled is true but no API keys are configured; set MMML_API_KEYS or serving.auth.keys",
    );
  }
  return async (c, next) => {
    if (open.some((re) => re.test(c.req.path))) return await next();
    const given = c.req.header(header);
    if (!isValidKey(given, keys)) {
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
