/**
 * Start-up of the prediction server, shared by server.ts and `mmml serve`: open the port first (so
 * /health answers at once and /ready says what is loading), then resolve and load the requested models
 * into the pool concurrently. The loader is passed in, which keeps ONNX Runtime out of src/server.
 */
import type { ServingConfig } from "../config/schema.ts";
import type { Predictor } from "../inference/predictor_types.ts";
import type { Logger } from "../log.ts";
import type { ModelVersion, Registry } from "../registry/registry_types.ts";
import { createApp } from "./app.ts";
import { createModelPool, type ModelPool } from "./model_pool.ts";
import { type RunningServer, serveApp } from "./serve_app.ts";
import type { ServerInfo } from "./server_env.ts";

/** Loads one registry version (src/inference/predictor.ts's loadPredictor, bound to its options). */
export type LoadModel = (version: ModelVersion) => Promise<Predictor>;

export interface StartServerOptions {
  config: ServingConfig;
  registry: Registry;
  load: LoadModel;
  logger: Logger;
  /** References to serve; empty: the latest version of every model in the registry. */
  refs?: readonly string[];
  info?: ServerInfo;
  onListen?: (addr: Deno.NetAddr) => void;
}

export interface StartedServer {
  server: RunningServer;
  pool: ModelPool;
  /** Settles once every model has loaded or failed; lists the failures. */
  loaded: Promise<{ ref: string; message: string }[]>;
}

/** The references to load: those asked for, else one per model name in the registry (its latest). */
export async function refsToServe(registry: Registry, refs: readonly string[]): Promise<string[]> {
  if (refs.length) return [...new Set(refs)];
  const names = new Set((await registry.list()).map((v) => v.meta.name));
  return [...names].sort().map((n) => `${n}@latest`);
}

/** Opens the port, then loads the models; the server is ready once all have loaded. */
export async function startServer(
  { config, registry, load, logger, refs = [], info, onListen }: StartServerOptions,
): Promise<StartedServer> {
  const wanted = await refsToServe(registry, refs.length ? refs : config.models);
  if (wanted.length === 0) logger.warn(`registry ${registry.location} holds no models; serving none`);
  const pool = createModelPool({ requested: wanted });
  const app = createApp({ pool, logger, config, info });
  const server = serveApp(app, { host: config.host, port: config.port, onListen });
  const loaded = Promise.all(wanted.map(async (ref) => {
    try {
      const version = await registry.resolve(ref);
      pool.add(await load(version), { ref });
      return null;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      pool.fail(ref, message);
      logger.error(`cannot load model ${ref}`, { ref, error: message });
      return { ref, message };
    }
  })).then((results) => results.filter((r) => r !== null));
  return { server, pool, loaded };
}
