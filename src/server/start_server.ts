/**
 * Start-up of the prediction server, shared by server.ts and `mmml serve`: open the port first (so
 * /health answers at once and /ready says what is loading), then resolve and load the requested models
 * into the pool concurrently, and follow the registry from then on (a promoted version is loaded and
 * switched to without a restart). The loader is passed in, which keeps ONNX Runtime out of src/server.
 * So is the doctor report shown by /health: gathered once, in the background, after the models have
 * loaded, so it never delays readiness (host_report.ts).
 */
import type { ServingConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { Registry } from "../registry/registry_types.ts";
import { createApp } from "./app.ts";
import { createHostReport, type HostReport } from "../host/host_report.ts";
import { createModelPool, type ModelPool } from "./model_pool.ts";
import { createModelRepository, type LoadModel, type ModelRepository } from "./model_repository.ts";
import { createModelWatcher, DEFAULT_WATCH_INTERVAL_MS, type ModelWatcher } from "./model_watcher.ts";
import { type RunningServer, serveApp, serveAppGuarded } from "./serve_app.ts";
import type { ServerInfo } from "./server_env.ts";
import { createServerMetrics, type ServerMetrics } from "./server_metrics.ts";

export type { LoadModel } from "./model_repository.ts";

export interface StartServerOptions {
  config: ServingConfig;
  registry: Registry;
  load: LoadModel;
  logger: Logger;
  /** References to serve; empty: the latest version of every model in the registry. */
  refs?: readonly string[];
  info?: ServerInfo;
  onListen?: (addr: Deno.NetAddr) => void;
  /**
   * Milliseconds between re-resolving the served references (0: never follow the registry).
   * From `serving.watch_interval_ms`.
   */
  watchIntervalMs?: number;
  /** Gathers `mmml doctor`'s report for GET /health (once, after the models have loaded). */
  doctor?: () => Promise<unknown>;
}

export interface StartedServer {
  server: RunningServer;
  pool: ModelPool;
  repository: ModelRepository;
  watcher: ModelWatcher;
  metrics: ServerMetrics;
  /** The doctor report /health shows, when `doctor` was given. */
  hostReport?: HostReport;
  /** Settles once every model has loaded or failed; lists the failures. */
  loaded: Promise<{ ref: string; message: string }[]>;
  /** After `server.shutdown()`: stops following the registry, closes every predictor, and waits for the
   * doctor report if it is still being gathered. */
  close(): Promise<void>;
}

/** The references to load: those asked for, else one per model name in the registry (its latest). */
export async function refsToServe(registry: Registry, refs: readonly string[]): Promise<string[]> {
  if (refs.length) return [...new Set(refs)];
  const names = new Set((await registry.list()).map((v) => v.meta.name));
  return [...names].sort().map((n) => `${n}@latest`);
}

/** Opens the port, then loads the models; the server is ready once all have loaded. */
export async function startServer(
  {
    config,
    registry,
    load,
    logger,
    refs = [],
    info,
    onListen,
    watchIntervalMs = DEFAULT_WATCH_INTERVAL_MS,
    doctor,
  }: StartServerOptions,
): Promise<StartedServer> {
  const wanted = await refsToServe(registry, refs.length ? refs : config.models);
  if (wanted.length === 0) logger.warn(`registry ${registry.location} holds no models; serving none`);
  const pool = createModelPool({ requested: wanted });
  const metrics = createServerMetrics({ pool });
  const repository = createModelRepository({ registry, pool, load, logger, metrics });
  const hostReport = doctor ? createHostReport(doctor) : undefined;
  const app = createApp({ pool, logger, config, info, metrics, repository, hostReport });
  // An idle keep-alive is closed only after any request on it could have been answered.
  const limits = {
    ...config.limits,
    idle_timeout_ms: Math.max(config.limits.idle_timeout_ms, config.request_timeout_ms + 1000),
  };
  const server = config.limits.front_door
    ? await serveAppGuarded(app, { host: config.host, port: config.port, onListen, limits })
    : serveApp(app, { host: config.host, port: config.port, onListen });
  const loaded = Promise.all(wanted.map(async (ref) => {
    try {
      await repository.sync(ref);
      return null;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      pool.fail(ref, message);
      logger.error(`cannot load model ${ref}`, { ref, error: message });
      return { ref, message };
    }
  })).then((results) => results.filter((r) => r !== null));
  // After loading, not alongside it: the report opens ONNX Runtime sessions and a WebGPU adapter, CPU
  // time that readiness should not wait for.
  const reported = hostReport ? loaded.then(() => hostReport.gather()) : Promise.resolve();
  const watcher = createModelWatcher({ pool, repository, logger, intervalMs: watchIntervalMs });
  const close = async () => {
    await watcher.stop();
    await pool.close();
    await reported;
  };
  return { server, pool, repository, watcher, metrics, hostReport, loaded, close };
}
