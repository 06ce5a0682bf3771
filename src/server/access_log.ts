/**
 * The outermost middleware: gives each request an id, counts it in flight, and once it is answered
 * records its metrics and writes one structured access-log line (request id, method, route, status,
 * latency, model, batch size). Routes are labelled by their pattern (`/v2/models/:name/infer`), never by
 * the raw path, so a client cannot grow the metrics without bound.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Logger } from "../log.ts";
import type { ServerEnv } from "./server_env.ts";
import type { ServerMetrics } from "./server_metrics.ts";

/** Request ids we accept from clients: short and printable, so logs stay one clean line. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route pattern that answered (or `unmatched` for a path no route knows). */
export function routeLabel(c: Context): string {
  const handler = matchedRoutes(c).find((r) => r.method !== "ALL");
  return handler?.path ?? "unmatched";
}

/** The methods a metric label names; any other (a client may send any token) counts as "other". */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

/** A request's method as a metric label: bounded, so random method names cannot grow /metrics. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : "other";
}

/** Middleware factory; `clock` gives milliseconds from a monotonic source. */
export function accessLog(
  { logger, metrics, clock }: { logger: Logger; metrics: ServerMetrics; clock: () => number },
): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    const start = clock();
    const given = c.req.header("x-request-id");
    const requestId = given && CLIENT_REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", requestId);
    metrics.inFlight.inc();
    try {
      await next();
    } finally {
      metrics.inFlight.dec();
    }
    const seconds = (clock() - start) / 1000;
    const route = routeLabel(c);
    const status = c.res.status;
    c.res.headers.set("x-request-id", requestId);
    metrics.httpRequests.inc({ route, method: methodLabel(c.req.method), status });
    metrics.httpDuration.observe({ route }, seconds);
    logger.info("request", {
      request_id: requestId,
      method: c.req.method.length > 16 ? c.req.method.slice(0, 16) + "..." : c.req.method,
      route,
      path: c.req.path.length > 200 ? c.req.path.slice(0, 200) + "..." : c.req.path,
      status,
      latency_ms: Math.round(seconds * 1e6) / 1e3,
      model: c.get("model") ?? null,
      batch_size: c.get("batchSize") ?? null,
    });
  };
}
