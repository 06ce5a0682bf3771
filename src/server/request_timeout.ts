/**
 * A per-request deadline: a request not answered within `ms` gets 504. The work it started may still
 * finish (an ORT run cannot be interrupted), but the client is not kept waiting past the limit.
 */
import type { MiddlewareHandler } from "hono";
import { MmmlError } from "../errors.ts";
import type { ServerEnv } from "./server_env.ts";

/** Middleware: races the rest of the chain against a timer. */
export function requestTimeout(ms: number): MiddlewareHandler<ServerEnv> {
  return async (_c, next) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new MmmlError(
              "timeout",
              `Request took longer than the limit of ${ms} ms (serving.request_timeout_ms)`,
            ),
          ),
        ms,
      );
    });
    try {
      await Promise.race([next(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}
