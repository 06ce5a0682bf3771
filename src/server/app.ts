/**
 * The prediction server as a Hono app: middleware (access log and metrics, per-request timeout,
 * optional API-key auth), the route groups, and the one error handler that turns whatever a route
 * threw into a status and body through `toErrorResponse`. `createApp` opens no port; `serveApp` does.
 */
import { type Context, Hono } from "hono";
import type { ServingConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { accessLog, routeLabel } from "./access_log.ts";
import { apiKeyAuth } from "./api_key_auth.ts";
import { admission } from "./admission.ts";
import { RouteError, toErrorResponse } from "./errors.ts";
import type { HostReport } from "../host/host_report.ts";
import type { ModelPool } from "./model_pool.ts";
import type { ModelRepository } from "./model_repository.ts";
import { requestTimeout } from "./request_timeout.ts";
import { healthRoutes } from "./routes/health.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { modelsRoutes } from "./routes/models.ts";
import { predictRoutes } from "./routes/predict.ts";
import { repositoryRoutes } from "./routes/repository.ts";
import { v2Routes } from "./routes/v2.ts";
import type { AppDeps, ServerEnv, ServerInfo } from "./server_env.ts";
import { createServerMetrics, type ServerMetrics } from "./server_metrics.ts";

export interface CreateAppOptions {
  pool: ModelPool;
  logger: Logger;
  config: ServingConfig;
  /** Monotonic milliseconds; defaults to `performance.now`. */
  clock?: () => number;
  /** Defaults to a fresh set over `pool`; pass one in to read it from a test. */
  metrics?: ServerMetrics;
  info?: ServerInfo;
  /** The registry behind the pool: mounts the OIP v2 repository extension (index, load, unload). */
  repository?: ModelRepository;
  /** Doctor's host facts for GET /health (see host_report.ts). */
  hostReport?: HostReport;
}

/**
 * Routes open with API-key auth on (health, readiness, server metadata, metrics); every other route,
 * model metadata and listings included, needs a key. See api_key_auth.ts.
 */
export const OPEN_PATHS = [
  "/health",
  "/ready",
  "/metrics",
  "/v2",
  "/v2/health/live",
  "/v2/health/ready",
  "/v2/models/:name/ready",
  "/v2/models/:name/versions/:version/ready",
] as const;

function patternToRegExp(path: string): RegExp {
  const body = path.split("/").map((s) =>
    s.startsWith(":") ? "[^/]+" : s === "*" ? ".*" : s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")
  );
  return new RegExp(`^${body.join("/")}/?$`);
}

/** Builds the app over its dependencies. */
export function createApp(
  {
    pool,
    logger,
    config,
    clock = () => performance.now(),
    metrics = createServerMetrics({ pool }),
    info = { name: "mmml", version: "dev" },
    repository,
    hostReport,
  }: CreateAppOptions,
): Hono<ServerEnv> {
  const deps: AppDeps = { pool, logger, config, clock, metrics, info, repository, hostReport };
  const app = new Hono<ServerEnv>();

  const respondError = (err: unknown, c: Context<ServerEnv>) => {
    const r = toErrorResponse(err, c.req.path === "/v2" || c.req.path.startsWith("/v2/") ? "v2" : "mmml");
    if (r.internal) {
      logger.error("request failed", {
        request_id: c.get("requestId"),
        method: c.req.method,
        route: routeLabel(c),
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    for (const [k, v] of Object.entries(r.headers)) c.header(k, v);
    return c.json(r.body, r.status as 400);
  };

  app.use(accessLog(deps));
  app.use(admission({ maxInFlight: config.limits.max_in_flight, retryAfterS: config.limits.retry_after_s }));
  app.use(requestTimeout(config.request_timeout_ms));
  if (config.auth.enabled) app.use(apiKeyAuth({ ...config.auth, open: OPEN_PATHS.map(patternToRegExp) }));
  app.route("/", healthRoutes(deps));
  app.route("/", metricsRoutes(deps));
  app.route("/", modelsRoutes(deps));
  app.route("/", predictRoutes(deps));
  app.route("/", v2Routes(deps));
  if (repository) app.route("/", repositoryRoutes(deps));

  // Known [method, path] pairs, to tell "wrong method" (405) from "no such path" (404).
  const known = app.routes.filter((r) => r.method !== "ALL").map((r) => ({
    method: r.method,
    re: patternToRegExp(r.path),
  }));
  app.notFound((c) => {
    const methods = [...new Set(known.filter((k) => k.re.test(c.req.path)).map((k) => k.method))];
    const shown = c.req.path.length > 100 ? c.req.path.slice(0, 100) + "..." : c.req.path;
    const err = methods.length
      ? new RouteError(
        405,
        `Method ${c.req.method} is not allowed on ${shown}; allowed: ${methods.join(", ")}`,
      )
      : new RouteError(404, `No route for ${c.req.method} ${shown}`);
    if (methods.length) c.header("allow", methods.join(", "));
    return respondError(err, c);
  });
  app.onError(respondError);
  return app;
}
