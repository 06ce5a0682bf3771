/**
 * A per-request deadline: a request not answered within `ms` gets 504. The request's `signal` is aborted
 * then, so work that can be dropped is (image decoding: image_decode_pool.ts); an ORT run cannot be
 * interrupted and may still finish, but the client is not kept waiting past the limit.
 */
import type { MiddlewareHandler } from "hono";
import { MmmlError } from "../errors.ts";
import type { ServerEnv } from "./server_env.ts";

/** Middleware: races the rest of the chain against a timer. */
export function requestTimeout(ms: number): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    c.set("signal", controller.signal);
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new MmmlError(
          "timeout",
          `Request took longer than the limit of ${ms} ms (serving.request_timeout_ms)`,
        );
        controller.abort(err);
        reject(err);
      }, ms);
    });
    try {
      await Promise.race([next(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}
