/**
 * Liveness and readiness. /health answers while the process runs (with a few process facts for a
 * person looking at it, and, when the server gathers them, the host facts of `mmml doctor` under
 * `doctor`); /ready answers 200 only once every requested model is loaded, so a load balancer does not
 * send traffic to a server that would answer 503.
 */
import { Hono } from "hono";
import { MmmlError } from "../../errors.ts";
import { notReadyMessage } from "../model_pool.ts";
import { isValidKey } from "../api_key_auth.ts";
import type { AppDeps, ServerEnv } from "../server_env.ts";

/** GET /health and GET /ready. */
export function healthRoutes(
  { pool, clock, info, hostReport, config }: Pick<
    AppDeps,
    "pool" | "clock" | "info" | "hostReport" | "config"
  >,
): Hono<ServerEnv> {
  // With auth on /health is open, so the host report (paths, GPUs, providers) needs a valid key.
  const showsHost = (key: string | undefined) =>
    hostReport !== undefined && (!config.auth.enabled || isValidKey(key, config.auth.keys));
  const started = clock();
  return new Hono<ServerEnv>()
    .get("/health", (c) => {
      const memory = Deno.memoryUsage();
      return c.json({
        status: "ok",
        name: info.name,
        version: info.version,
        uptime_s: Math.round(clock() - started) / 1000,
        pid: Deno.pid,
        deno: Deno.version.deno,
        v8: Deno.version.v8,
        memory: { rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed },
        models_loaded: pool.list().length,
        ready: pool.readiness().ready,
        ...(hostReport && showsHost(c.req.header(config.auth.header))
          ? { doctor: hostReport.current() }
          : {}),
      });
    })
    .get("/ready", (c) => {
      const r = pool.readiness();
      if (!r.ready) throw new MmmlError("not_ready", notReadyMessage(r));
      return c.json({ ready: true, models: pool.list().map((p) => `${p.name}@${p.version}`) });
    });
}
