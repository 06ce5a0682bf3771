/**
 * GET /models: what is loaded, at which version, for which references, on which execution provider, with
 * which inputs; and the recent switches of served references to other versions.
 */
import { Hono } from "hono";
import type { Predictor } from "../../inference/predictor_types.ts";
import type { AppDeps, ServerEnv } from "../server_env.ts";

/** The public description of a loaded model; `refs` are the references it serves (`iris@production`). */
export function describeModel(p: Predictor, refs: string[] = []) {
  return {
    name: p.name,
    version: p.version,
    refs,
    task: p.meta.task,
    arch: p.meta.arch,
    provider: p.provider,
    load_seconds: p.loadSeconds,
    inputs: p.inputs(),
    outputs: p.outputs(),
    classes: p.meta.classes,
  };
}

/** Mounts GET /models: the loaded models and the latest hot swaps (oldest first). */
export function modelsRoutes({ pool, repository }: Pick<AppDeps, "pool" | "repository">): Hono<ServerEnv> {
  return new Hono<ServerEnv>().get("/models", (c) =>
    c.json({
      models: pool.list().map((p) => describeModel(p, pool.refsOf(p))),
      swaps: repository?.history() ?? [],
    }));
}
