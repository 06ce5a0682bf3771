/**
 * The prediction server as a program: flags and environment -> config -> registry and ONNX Runtime
 * predictors -> the Hono app on a port, until SIGINT/SIGTERM drains it.
 *
 *   deno run -A server.ts [--port 8080] [--host 127.0.0.1] [--model NAME[@VER]]... [--registry DIR]
 *                         [--config FILE]... [--set KEY=VALUE]...
 *
 * A served reference that can move (NAME, NAME@latest, NAME@best, NAME@<stage>) is re-resolved every
 * couple of seconds: when the registry names another version, it is loaded and switched to without
 * failing a request (src/server/model_watcher.ts).
 *
 * MMML_API_KEYS (comma-separated) turns API-key auth on for the predict, infer and repository routes and adds its
 * keys to serving.auth.keys. MMML_LOG_LEVEL sets the log level (debug, info, warn, error).
 * Like cli.ts, this file alone reads Deno.args and Deno.env; it sets Deno.exitCode instead of exiting,
 * so the process ends on its own once the server has drained.
 */
import denoJson from "./deno.json" with { type: "json" };
import { CONFIG_FILE_FLAGS, formatHelp, parseCommandArgs } from "./src/cli/args.ts";
import type { gatherDoctorReport as GatherDoctor } from "./src/cli/commands/doctor.ts";
import { loadConfig } from "./src/config/load_config.ts";
import { flagsToConfig } from "./src/config/overrides.ts";
import { exitCodeFor } from "./src/errors.ts";
import { loadPredictor } from "./src/inference/predictor.ts";
import { createLogger, type LogLevel } from "./src/log.ts";
import type { Registry } from "./src/registry/registry_types.ts";
import { openRegistry } from "./src/registry/open_registry.ts";
import { stopOnSignals } from "./src/server/serve_app.ts";
import { startServer } from "./src/server/start_server.ts";

/** Flags of server.ts (and their config paths, for those that set config). */
export const SERVER_SPEC = {
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
} as const;

const SERVER_CONFIG_FLAGS = {
  port: "serving.port",
  host: "serving.host",
  registry: "registry.path",
} as const;
const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];
/**
 * The doctor command's module, imported only when /health's report is gathered. A computed specifier on
 * purpose: Deno loads every literal import() target when the program starts, and this one brings in
 * tfjs and every backend probe (measured: start-up from 0.15 to 0.32 s). A compiled binary still holds
 * the module, since cli.ts (its entry) imports it.
 */
const DOCTOR_MODULE = new URL("./src/cli/commands/doctor.ts", import.meta.url).href;

/** Runs the server until a signal drains it; resolves with the process exit status. */
export async function main(args: readonly string[], env: Record<string, string>): Promise<number> {
  const level = LOG_LEVELS.find((l) => l === env.MMML_LOG_LEVEL) ?? "info";
  const logger = createLogger({ level });
  let registry: Registry | undefined;
  try {
    const parsed = parseCommandArgs(args, SERVER_SPEC);
    if (parsed.help) {
      console.log(formatHelp(SERVER_SPEC));
      return 0;
    }
    const { config } = await loadConfig({
      files: parsed.values.config,
      flags: flagsToConfig(parsed.values, SERVER_CONFIG_FLAGS),
      sets: parsed.values.set,
      logger,
    });
    const serving = structuredClone(config.serving);
    const envKeys = (env.MMML_API_KEYS ?? "").split(",").map((k) => k.trim()).filter(Boolean);
    if (envKeys.length) {
      serving.auth = { ...serving.auth, enabled: true, keys: [...serving.auth.keys, ...envKeys] };
    }

    registry = await openRegistry(config.registry.path);
    const load = (version: Parameters<typeof loadPredictor>[0]) =>
      loadPredictor(version, {
        providers: serving.providers,
        intraOpThreads: serving.intra_op_threads,
        requireProviders: serving.require_providers,
        logger,
      });
    const { server, pool, loaded, close } = await startServer({
      config: serving,
      registry,
      load,
      logger,
      refs: parsed.values.model,
      watchIntervalMs: serving.watch_interval_ms,
      info: { name: "mmml", version: denoJson.version },
      // GET /health shows what `mmml doctor` would say, gathered in the background after the models load.
      doctor: async () => {
        const { gatherDoctorReport } = await import(DOCTOR_MODULE) as {
          gatherDoctorReport: typeof GatherDoctor;
        };
        return await gatherDoctorReport({
          registryPath: config.registry.path,
          configuredProviders: serving.providers,
        });
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
  } catch (err) {
    logger.error(err instanceof Error ? err.message : String(err));
    return exitCodeFor(err);
  } finally {
    await registry?.close();
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args, Deno.env.toObject());
}
