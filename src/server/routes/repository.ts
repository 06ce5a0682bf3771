/**
 * The Open Inference Protocol v2 model repository extension (as Triton and KServe define it): the
 * index of every registered version with its state, and load / unload of a model by name. mmml's
 * repository is the registry, so a load names a registry reference: `{"parameters": {"version":
 * "production"}}` (or `?version=`) loads `NAME@production`, and with nothing given `NAME@latest`.
 * A reference that can move (latest, best, a stage) is then followed by the registry watcher.
 * Errors are `{"error": "..."}` like every /v2 route.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { describeValue, MmmlError } from "../../errors.ts";
import { refFor } from "../model_repository.ts";
import type { AppDeps, ServerEnv } from "../server_env.ts";
import { validateOptionalJson } from "../validate.ts";

/** Body of the index request. */
export const IndexRequest = z.strictObject({ ready: z.boolean().optional() });

/** Body of a load request; `version` is a version number, "latest", "best" or a stage name. */
export const LoadRequest = z.strictObject({
  parameters: z.strictObject({
    version: z.union([z.number().int().positive(), z.string().min(1).max(200)]).optional(),
  }).optional(),
});

/** Body of an unload request; mmml models have no dependents, so `unload_dependents` changes nothing. */
export const UnloadRequest = z.strictObject({
  parameters: z.strictObject({ unload_dependents: z.boolean().optional() }).optional(),
});

const BOOLEAN_QUERY = { true: true, "1": true, false: false, "0": false } as const satisfies Record<
  string,
  boolean
>;

function queryReady(c: Context<ServerEnv>): boolean | undefined {
  const text = c.req.query("ready");
  if (text === undefined) return undefined;
  if (Object.hasOwn(BOOLEAN_QUERY, text)) return BOOLEAN_QUERY[text as keyof typeof BOOLEAN_QUERY];
  throw new MmmlError("invalid_input", `ready: expected true or false, received ${describeValue(text)}`);
}

/** Mounts /v2/repository/index and /v2/repository/models/{name}/load|unload. */
export function repositoryRoutes(
  { repository, config }: Pick<AppDeps, "repository" | "config">,
): Hono<ServerEnv> {
  if (!repository) throw new Error("repositoryRoutes needs a model repository");
  const limits = { maxBytes: config.max_body_bytes };
  const index = async (c: Context<ServerEnv>, ready: boolean | undefined) =>
    c.json(await repository.index({ ready: ready ?? false }));

  return new Hono<ServerEnv>()
    .get("/v2/repository/index", (c) => index(c, queryReady(c)))
    .post("/v2/repository/index", validateOptionalJson(IndexRequest, limits), (c) => {
      const body = c.req.valid("json");
      return index(c, body.ready ?? queryReady(c));
    })
    .post("/v2/repository/models/:name/load", validateOptionalJson(LoadRequest, limits), async (c) => {
      const name = c.req.param("name");
      const fromBody = c.req.valid("json").parameters?.version;
      const fromQuery = c.req.query("version");
      if (fromBody !== undefined && fromQuery !== undefined && String(fromBody) !== fromQuery) {
        throw new MmmlError(
          "invalid_input",
          `parameters.version (${describeValue(fromBody)}) and ?version= (${
            describeValue(fromQuery)
          }) disagree; give one`,
        );
      }
      const ref = refFor(name, fromBody ?? fromQuery);
      const result = await repository.sync(ref);
      if (result.status === "skipped") throw new Error(`sync of ${ref} was skipped: ${result.reason}`);
      const p = result.predictor;
      c.set("model", `${p.name}@${p.version}`);
      return c.json({
        name: p.name,
        version: String(p.version),
        ref,
        state: "READY",
        // loaded: newly served; switched: `ref` now serves another version; unchanged: already served.
        action: result.status,
        ...(result.status === "switched" ? { previous_version: String(result.previous.version) } : {}),
      });
    })
    .post("/v2/repository/models/:name/unload", validateOptionalJson(UnloadRequest, limits), async (c) => {
      const name = c.req.param("name");
      const removed = await repository.unload(name);
      return c.json({ name, state: "UNAVAILABLE", unloaded_versions: removed.map((p) => String(p.version)) });
    });
}
