/**
 * KServe Open Inference Protocol v2 over REST: server and model health, metadata and inference with
 * named tensors. Versions are strings in the protocol; mmml's are positive integers. Errors on these
 * routes are `{"error": "..."}` (the app's error handler picks that shape for paths under /v2).
 */
import { type Context, Hono } from "hono";
import { MmmlError } from "../../errors.ts";
import { requireWithin } from "../request_limits.ts";
import type { Predictor } from "../../inference/predictor_types.ts";
import { InferRequest, tensorToJson, toNamedTensors } from "../infer_tensors.ts";
import { notReadyMessage } from "../model_pool.ts";
import type { AppDeps, ServerEnv } from "../server_env.ts";
import { validateJson } from "../validate.ts";

/** The version path segment as a number, or a 404 naming it. */
export function parseVersion(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(text)) {
    throw new MmmlError(
      "model_not_found",
      `version: model "${name}" has no version ${JSON.stringify(text)}; versions are positive integers`,
    );
  }
  return Number(text);
}

/** Mounts the /v2 routes. */
export function v2Routes(
  { pool, config, info, metrics, repository }: Pick<
    AppDeps,
    "pool" | "config" | "info" | "metrics" | "repository"
  >,
): Hono<ServerEnv> {
  const target = (c: Context<ServerEnv>) => {
    const name = c.req.param("name")!;
    return { name, version: parseVersion(name, c.req.param("version")) };
  };
  const resolve = (c: Context<ServerEnv>): Predictor => {
    const { name, version } = target(c);
    return pool.get(name, version);
  };
  const extensions = repository ? ["model_repository"] : [];

  const metadata = (c: Context<ServerEnv>) => {
    const p = resolve(c);
    const versions = c.req.param("version") ? [p.version] : pool.versions(p.name);
    return c.json({
      name: p.name,
      versions: versions.map(String),
      platform: "onnx",
      inputs: p.inputs(),
      outputs: p.outputs(),
      // Beyond the protocol's metadata fields (clients skip fields they do not know): the ONNX Runtime
      // execution provider this version really runs on (cuda, cpu, ...).
      parameters: { provider: p.provider },
    });
  };

  const ready = (c: Context<ServerEnv>) => {
    const p = resolve(c);
    return c.json({ name: p.name, ready: true });
  };

  const infer = validateJson(InferRequest, {
    maxBytes: config.max_body_bytes,
    maxDepth: config.limits.max_json_depth,
  });

  const inferHandler = (c: Context<ServerEnv, string, { out: { json: InferRequest } }>) => {
    const body = c.req.valid("json");
    const { name, version } = target(c);
    // The lease keeps this version open until the response is built, even if a swap retires it meanwhile.
    return pool.use(name, version, async (p) => {
      c.set("model", `${p.name}@${p.version}`);
      const tensors = toNamedTensors(body.inputs, p.inputs(), p.name);
      const outputNames = p.outputs().map((o) => o.name);
      const wanted = body.outputs?.map((o, i) => {
        if (!outputNames.includes(o.name)) {
          throw new MmmlError(
            "invalid_input",
            `outputs[${i}].name: model "${p.name}" has no output ${JSON.stringify(o.name)}; its outputs: ${
              outputNames.join(", ")
            }`,
          );
        }
        return o.name;
      });
      const rows = tensors[0].shape[0] ?? 1;
      // The batch is bounded like the simple API's: rows for a table, images (NHWC) for an image model.
      if (p.takes === "images") {
        requireWithin("inputs[0].shape[0]", rows, config.limits.max_images, "max_images");
      } else requireWithin("inputs[0].shape[0]", rows, config.limits.max_rows, "max_rows");
      c.set("batchSize", rows);
      metrics.batchSize.observe({ model: p.name }, rows);
      const outputs = await p.infer(tensors);
      const chosen = wanted ? outputs.filter((o) => wanted.includes(o.name)) : outputs;
      return c.json({
        model_name: p.name,
        model_version: String(p.version),
        id: body.id ?? c.get("requestId"),
        outputs: chosen.map(tensorToJson),
      });
    });
  };

  return new Hono<ServerEnv>()
    .get("/v2", (c) => c.json({ name: info.name, version: info.version, extensions }))
    .get("/v2/health/live", (c) => c.json({ live: true }))
    .get("/v2/health/ready", (c) => {
      const r = pool.readiness();
      if (!r.ready) throw new MmmlError("not_ready", notReadyMessage(r));
      return c.json({ ready: true });
    })
    .get("/v2/models/:name", metadata)
    .get("/v2/models/:name/versions/:version", metadata)
    .get("/v2/models/:name/ready", ready)
    .get("/v2/models/:name/versions/:version/ready", ready)
    .post("/v2/models/:name/infer", infer, inferHandler)
    .post("/v2/models/:name/versions/:version/infer", infer, inferHandler);
}
