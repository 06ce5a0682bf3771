/** GET /models: what is loaded, at which version, on which execution provider, with which inputs. */
import { Hono } from "hono";
import type { Predictor } from "../../inference/predictor_types.ts";
import type { AppDeps, ServerEnv } from "../server_env.ts";

/** The public description of a loaded model. */
export function describeModel(p: Predictor) {
  return {
    name: p.name,
    version: p.version,
    task: p.meta.task,
    arch: p.meta.arch,
    provider: p.provider,
    load_seconds: p.loadSeconds,
    inputs: p.inputs(),
    outputs: p.outputs(),
    classes: p.meta.classes,
  };
}

/** Mounts GET /models. */
export function modelsRoutes({ pool }: Pick<AppDeps, "pool">): Hono<ServerEnv> {
  return new Hono<ServerEnv>().get("/models", (c) => c.json({ models: pool.list().map(describeModel) }));
}
