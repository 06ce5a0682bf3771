/**
 * `mmml serve` (and server.ts, which runs this command): flags and config -> registry and ONNX Runtime
 * predictors -> the Hono app on a port, until SIGINT/SIGTERM drains it.
 *
 *   mmml serve [--port 8080] [--host 127.0.0.1] [--model NAME[@VER]]... [--registry DIR]
 *              [--config FILE]... [--set KEY=VALUE]...
 *
 * A served reference that can move (NAME, NAME@latest, NAME@best, NAME@<stage>) is re-resolved every
 * couple of seconds: when the registry names another version, it is loaded and switched to without
 * failing a request (src/server/model_watcher.ts).
 *
 * MMML_API_KEYS (comma-separated) turns API-key auth on for the predict, infer and repository routes and
 * adds its keys to serving.auth.keys.
 */
import { autoDecodeWorkers, createImageDecodePool } from "../../inference/image_decode_pool.ts";
import { type CommandSpec, CONFIG_FILE_FLAGS, formatHelp, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import type { gatherDoctorReport as GatherDoctor } from "../../host/doctor_report.ts";
import { loadConfig } from "../../config/load_config.ts";
import { flagsToConfig } from "../../config/overrides.ts";
import { loadPredictor } from "../../runs/load_predictor.ts";
import type { Registry } from "../../registry/registry_types.ts";
import { cwdPath, openRegistry } from "./model_flags.ts";
import { isPostgresUrl } from "../../registry/open_registry.ts";
import { stopOnSignals } from "../../server/serve_app.ts";
import { startServer } from "../../server/start_server.ts";
import { adviceForOneFile } from "../../host/one_file.ts";
import { VERSION } from "../../version.ts";

/** Flags of `mmml serve` (and their config paths, for those that set config). */
export const SERVE_SPEC = {
  name: "serve",
  summary: "serve registered models over HTTP (simple JSON API and Open Inference Protocol v2)",
  flags: {
    port: { type: "string", valueName: "N", description: "sets serving.port (0: any free port)" },
    host: { type: "string", valueName: "HOST", description: "sets serving.host" },
    model: {
      type: "string",
      multiple: true,
      valueName: "NAME[@VER]",
      description: "a model to serve; repeat for several (default: the latest of every model)",
    },
    registry: { type: "string", valueName: "DIR", description: "sets registry.path" },
    ...CONFIG_FILE_FLAGS,
  },
} as const satisfies CommandSpec;

const SERVE_CONFIG_FLAGS = {
  port: "serving.port",
  host: "serving.host",
  registry: "registry.path",
} as const;
/**
 * The host report's module, imported only when /health's report is gathered. A computed specifier on
 * purpose: Deno loads every literal import() target when the program starts, and this one brings in
 * tfjs and every backend probe (measured: start-up from 0.15 to 0.32 s). A compiled binary still holds
 * the module, since `mmml doctor` imports it.
 */
const DOCTOR_MODULE = new URL("../../host/doctor_report.ts", import.meta.url).href;

/** Runs the server until a signal drains it; resolves with the exit status. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { logger, env } = ctx;
  const parsed = parseCommandArgs(args, SERVE_SPEC);
  if (parsed.help) {
    ctx.stdout(formatHelp(SERVE_SPEC));
    return 0;
  }
  const { config } = await loadConfig({
    files: parsed.values.config,
    flags: flagsToConfig(parsed.values, SERVE_CONFIG_FLAGS),
    sets: parsed.values.set,
    cwd: ctx.cwd,
    logger,
  });
  const serving = structuredClone(config.serving);
  const envKeys = (env.MMML_API_KEYS ?? "").split(",").map((k) => k.trim()).filter(Boolean);
  if (envKeys.length) {
    serving.auth = { ...serving.auth, enabled: true, keys: [...serving.auth.keys, ...envKeys] };
  }

  let registry: Registry | undefined;
  // Image requests decode on these workers, never on the event loop that answers /health.
  const { limits } = serving;
  const decodePool = createImageDecodePool({
    workers: limits.decode_workers === "auto" ? autoDecodeWorkers() : limits.decode_workers,
    queue: limits.decode_queue,
    retryAfterS: limits.retry_after_s,
  });
  try {
    // As train does: a folder relative to the working directory, or PostgreSQL with registry.artifacts
    // (or MMML_REGISTRY_ARTIFACTS), so a server may be the first process to open a shared registry.
    registry = await openRegistry(config.registry.path, ctx, config.registry.artifacts);
    const load = (version: Parameters<typeof loadPredictor>[0]) =>
      loadPredictor(version, {
        providers: serving.providers,
        intraOpThreads: serving.intra_op_threads,
        requireProviders: serving.require_providers,
        logger,
        imageDecoding: { pool: decodePool, maxPixels: limits.max_image_pixels },
      });
    const { server, pool, loaded, close } = await startServer({
      config: serving,
      registry,
      load,
      logger,
      refs: parsed.values.model,
      watchIntervalMs: serving.watch_interval_ms,
      info: { name: "mmml", version: VERSION },
      // GET /health shows what `mmml doctor` would say, gathered in the background after the models load.
      doctor: async () => {
        const { gatherDoctorReport } = await import(DOCTOR_MODULE) as {
          gatherDoctorReport: typeof GatherDoctor;
        };
        const report = await gatherDoctorReport({
          registryPath: isPostgresUrl(config.registry.path)
            ? config.registry.path
            : cwdPath(config.registry.path, ctx),
          configuredProviders: serving.providers,
        });
        return ctx.env.MMML_ONE_FILE ? adviceForOneFile(report, ctx.env.MMML_ONE_FILE) : report;
      },
      onListen: (addr) =>
        logger.info(`listening on http://${addr.hostname}:${addr.port}`, { auth: serving.auth.enabled }),
    });
    const cancel = new AbortController();
    const stopped = stopOnSignals(server, { logger, cancel: cancel.signal });
    const failures = await loaded;
    if (failures.length) {
      // A server that can never become ready is better stopped, loudly, than left answering 503.
      logger.error(`stopping: ${failures.length} model(s) failed to load`, {
        failed: failures.map((f) => f.ref),
      });
      cancel.abort();
      await server.shutdown();
      await close();
      return 1;
    }
    logger.info("ready", { models: pool.list().map((p) => `${p.name}@${p.version} (${p.provider})`) });
    const signal = await stopped;
    await close();
    logger.info("stopped", { signal });
    return 0;
  } finally {
    decodePool.close();
    await registry?.close();
  }
}
