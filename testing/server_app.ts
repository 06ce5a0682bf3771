/** Builds the app over test predictors with a recording logger, for the server's tests. */
import { ServingConfig } from "../src/config/schema.ts";
import type { Predictor } from "../src/inference/predictor_types.ts";
import { createMemoryLogger } from "../src/log.ts";
import { createApp } from "../src/server/app.ts";
import { createModelPool } from "../src/server/model_pool.ts";
import { createModelRepository, type LoadModel } from "../src/server/model_repository.ts";
import type { Registry } from "../src/registry/registry_types.ts";
import { createServerMetrics } from "../src/server/server_metrics.ts";

/**
 * The app, its pool, metrics and log lines; `serving` is a partial serving config (defaults filled).
 * With `registry` and `load`, the app also has the model repository (OIP v2 repository extension).
 */
export function createTestApp(
  { predictors = [], requested, serving = {}, registry, load }: {
    predictors?: Predictor[];
    requested?: string[];
    serving?: Record<string, unknown>;
    registry?: Registry;
    load?: LoadModel;
  } = {},
) {
  const config = ServingConfig.parse(serving);
  const pool = createModelPool({ requested: requested ?? predictors.map((p) => `${p.name}@${p.version}`) });
  for (const p of predictors) pool.add(p, { ref: `${p.name}@${p.version}` });
  const logger = createMemoryLogger("info");
  const metrics = createServerMetrics({ pool });
  const repository = registry && load
    ? createModelRepository({ registry, pool, load, logger, metrics })
    : undefined;
  const app = createApp({
    pool,
    logger,
    config,
    metrics,
    repository,
    info: { name: "mmml", version: "test" },
  });
  return { app, pool, logger, metrics, config, repository };
}

/** POSTs JSON to the app. */
export function postJson(
  app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> },
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(
    app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}
