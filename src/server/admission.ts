/**
 * Load shedding: at most `max_in_flight` requests are handled at once; past that a request is answered
 * at once with 503 and Retry-After (as Triton and BentoML do) instead of queueing without bound. Health,
 * readiness and metrics are never shed, so a load balancer and a scraper still see the server while it
 * is busy.
 */
import type { MiddlewareHandler } from "hono";
import { MmmlError } from "../errors.ts";
import type { ServerEnv } from "./server_env.ts";

/** Paths answered however busy the server is. */
const NEVER_SHED = /^\/(health|ready|metrics|v2\/health\/(live|ready))\/?$/;

export function admission(
  { maxInFlight, retryAfterS }: { maxInFlight: number; retryAfterS: number },
): MiddlewareHandler<ServerEnv> {
  let inFlight = 0;
  return async (c, next) => {
    if (NEVER_SHED.test(c.req.path)) return await next();
    if (inFlight >= maxInFlight) {
      throw new MmmlError(
        "overloaded",
        `The server is handling ${inFlight} requests, its limit (serving.limits.max_in_flight); ` +
          `retry in ${retryAfterS} s`,
        { details: { retry_after_s: retryAfterS } },
      );
    }
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
    }
  };
}
