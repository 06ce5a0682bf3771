/** GET /metrics: the Prometheus text exposition of the server's registry. */
import { Hono } from "hono";
import { PROMETHEUS_CONTENT_TYPE } from "../metrics.ts";
import type { AppDeps, ServerEnv } from "../server_env.ts";

/** Mounts GET /metrics. */
export function metricsRoutes({ metrics }: Pick<AppDeps, "metrics">): Hono<ServerEnv> {
  return new Hono<ServerEnv>().get("/metrics", (c) => {
    c.header("content-type", PROMETHEUS_CONTENT_TYPE);
    return c.body(metrics.registry.render());
  });
}
