/**
 * The simple JSON prediction API. POST /predict/tabular goes through the model's dynamic batcher;
 * POST /predict/image takes multipart uploads or base64 JSON and adds the top-k labels.
 */
import { Hono } from "hono";
import { z } from "zod";
import { MmmlError } from "../../errors.ts";
import type { Prediction, Predictor } from "../../inference/predictor_types.ts";
import { type Batcher, createBatcher } from "../batcher.ts";
import { parseImageRequest } from "../image_request.ts";
import type { AppDeps, ServerEnv } from "../server_env.ts";
import { validateJson } from "../validate.ts";
import { checkImageBudget, requireWithin } from "../request_limits.ts";

/** Body of POST /predict/tabular. */
export const TabularRequest = z.strictObject({
  model: z.string().min(1).max(200),
  version: z.number().int().positive().optional(),
  // The row objects as parsed, not copies: a copy made by assignment would turn a "__proto__" key into
  // the object's prototype and drop it silently, where every other unknown column is named as ignored.
  instances: z.array(
    z.custom<Record<string, unknown>>(
      (v) => v !== null && typeof v === "object" && !Array.isArray(v),
      {
        error: (issue) =>
          `expected an object of column values, received ${
            Array.isArray(issue.input) ? "array" : issue.input === null ? "null" : typeof issue.input
          }`,
      },
    ),
  ).min(1),
});

/** The `k` most probable labels, most probable first (none for a regression's value). */
export function topK(p: Prediction, k: number): { label: string; probability: number }[] {
  if (!("probabilities" in p)) return [];
  return Object.entries(p.probabilities)
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([label, probability]) => ({ label, probability }));
}

function requireInput(p: Predictor, takes: Predictor["takes"], route: string) {
  if (p.takes !== takes) {
    const other = p.takes === "rows" ? "tabular" : "image";
    throw new MmmlError(
      "unsupported",
      `model: "${p.name}" is a ${p.meta.task} model and cannot answer ${route}; use POST /predict/${other}`,
    );
  }
}

/** Mounts POST /predict/tabular and POST /predict/image. */
export function predictRoutes(
  { pool, config, metrics }: Pick<AppDeps, "pool" | "config" | "metrics">,
): Hono<ServerEnv> {
  const maxBytes = config.max_body_bytes;
  const { limits } = config;
  const batchers = new WeakMap<Predictor, Batcher<Record<string, unknown>, Prediction>>();
  const batcherFor = (p: Predictor) => {
    let b = batchers.get(p);
    if (!b) {
      b = createBatcher({
        enabled: config.batching.enabled,
        maxBatchSize: config.batching.max_batch_size,
        maxWaitMs: config.batching.max_wait_ms,
        run: (rows) => p.predictRows(rows),
        onBatch: (size) => metrics.batchSize.observe({ model: p.name }, size),
      });
      batchers.set(p, b);
    }
    return b;
  };

  return new Hono<ServerEnv>()
    .post(
      "/predict/tabular",
      validateJson(TabularRequest, { maxBytes, maxDepth: limits.max_json_depth }),
      async (c) => {
        const { model, version, instances } = c.req.valid("json");
        requireWithin("instances", instances.length, limits.max_rows, "max_rows");
        // The lease keeps this version open until its batch has run, even if a swap retires it meanwhile;
        // batchers are per predictor, so after a swap new requests batch on the new version.
        return await pool.use(model, version, async (predictor) => {
          requireInput(predictor, "rows", "POST /predict/tabular");
          c.set("model", `${predictor.name}@${predictor.version}`);
          const extra = predictor.extraColumns(instances);
          if (extra.length && config.extra_columns === "error") {
            throw new MmmlError(
              "validation_failed",
              `instances: column(s) ${
                extra.map((k) => `"${k}"`).join(", ")
              } are not inputs of ${predictor.name}; ` +
                `send only its input columns (serving.extra_columns is "error")`,
              { details: { columns: extra } },
            );
          }
          const { results, batchSize } = await batcherFor(predictor).submit(instances);
          c.set("batchSize", batchSize);
          return c.json({
            model: predictor.name,
            version: predictor.version,
            predictions: results,
            ...(extra.length ? { ignored_columns: extra } : {}),
          });
        });
      },
    )
    .post("/predict/image", async (c) => {
      const { model, version, images } = await parseImageRequest(c, maxBytes, limits);
      checkImageBudget(images, limits);
      return await pool.use(model, version, async (predictor) => {
        requireInput(predictor, "images", "POST /predict/image");
        c.set("model", `${predictor.name}@${predictor.version}`);
        c.set("batchSize", images.length);
        metrics.batchSize.observe({ model: predictor.name }, images.length);
        const predictions = await predictor.predictImages(images, { signal: c.get("signal") });
        return c.json({
          model: predictor.name,
          version: predictor.version,
          predictions: predictions.map((p) => ({ ...p, top_k: topK(p, config.top_k) })),
        });
      });
    });
}
