/**
 * Flags the model commands (evaluate, predict, export, registry) share, and what they turn into: the
 * registry folder, files relative to the working directory, and the checks on required flags. Here
 * --model names a registered model (NAME[@VERSION]), not an architecture as in `mmml train`, so these
 * commands keep their own specs instead of the config-setting flags.
 */
import type { HubOptions } from "../../hub/hf_hub.ts";
import { isAbsolute, join } from "node:path";
import type { FlagSpec } from "../args.ts";
import type { CliContext } from "../context.ts";
import { closestMatch } from "../../closest_match.ts";
import { BACKEND_NAMES, BackendName } from "../../config/schema.ts";
import { MmmlError } from "../../errors.ts";
import { isPostgresUrl, openRegistry as openRegistryAt } from "../../registry/open_registry.ts";
import type { Registry } from "../../registry/registry_types.ts";
import type { TrainedModel } from "../../tasks/trained_model.ts";

/** `--registry DIR`: the registry folder, relative to the working directory; default models/. */
export const REGISTRY_FLAG = Object.freeze(
  {
    type: "string",
    valueName: "DIR",
    description: "registry folder (default models/)",
  } as const satisfies FlagSpec,
);

/** `--model NAME[@VERSION]`: a registered model reference. */
export const MODEL_REF_FLAG = Object.freeze(
  {
    type: "string",
    valueName: "NAME[@VERSION]",
    description: "registered model: NAME, NAME@3, NAME@best, NAME@production (required)",
  } as const satisfies FlagSpec,
);

/** `--backend NAME`: the tfjs backend to score with. */
export const BACKEND_FLAG = Object.freeze(
  {
    type: "string",
    valueName: "NAME",
    description: `tfjs backend: ${BACKEND_NAMES.join("|")} (default: the one trained on)`,
  } as const satisfies FlagSpec,
);

/**
 * The hub client's settings from the environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HOME), with a
 * progress line on a terminal's stderr while weights download.
 */
export function hubOptions(ctx: Pick<CliContext, "env" | "stderr" | "stderrIsTerminal">): HubOptions {
  let shown = -1;
  return {
    env: ctx.env,
    onProgress: ctx.stderrIsTerminal
      ? (received, total) => {
        const mb = (n: number) => (n / 1e6).toFixed(1);
        const pct = total ? Math.floor((100 * received) / total) : -1;
        if (pct === shown && total) return;
        shown = pct;
        ctx.stderr(
          `\rdownloading weights: ${mb(received)}${total ? ` of ${mb(total)} MB (${pct}%)` : " MB"}`,
        );
        if (total && received >= total) ctx.stderr("\n");
      }
      : undefined,
  };
}

/** Where models live when --registry is not given, relative to the working directory. */
export const DEFAULT_REGISTRY = "models";

/**
 * Opens the registry named by --registry (or the default): a folder (SQLite metadata inside it), relative
 * to the command's cwd, or a postgres:// URL whose artifacts folder comes from MMML_REGISTRY_ARTIFACTS.
 * Callers close it when done.
 */
export async function openRegistry(
  location: string | undefined,
  ctx: Pick<CliContext, "cwd" | "env">,
  artifacts?: string,
): Promise<Registry> {
  const where = location ?? DEFAULT_REGISTRY;
  if (isPostgresUrl(where)) {
    return await openRegistryAt(where, {
      artifacts: artifacts ?? (ctx.env.MMML_REGISTRY_ARTIFACTS || undefined),
    });
  }
  return await openRegistryAt(cwdPath(where, ctx));
}

/** A path named on the command line, relative to the command's working directory. */
export function cwdPath(path: string, ctx: Pick<CliContext, "cwd">): string {
  return isAbsolute(path) ? path : join(ctx.cwd, path);
}

/** Where a command's input is: a path, or for `-` the bytes of standard input (named "stdin" in messages). */
export async function inputFrom(value: string, ctx: Pick<CliContext, "cwd" | "stdin">): Promise<{
  path: string;
  content?: Uint8Array;
}> {
  return value === "-" ? { path: "stdin", content: await ctx.stdin() } : { path: cwdPath(value, ctx) };
}

/** Throws a usage error naming every required flag that is absent. */
export function requireFlags(values: Record<string, unknown>, command: string, names: string[]): void {
  const absent = names.filter((n) => values[n] === undefined);
  if (absent.length > 0) {
    throw new MmmlError(
      "usage",
      `mmml ${command} needs ${absent.map((n) => `--${n}`).join(" and ")}; run "mmml ${command} --help"`,
    );
  }
}

/** Parses a --backend value: any backend training knows (config's list), or none. */
export function backendFlag(value: string | undefined): BackendName | undefined {
  if (value === undefined) return undefined;
  const parsed = BackendName.safeParse(value);
  if (parsed.success) return parsed.data;
  const near = closestMatch(value, BACKEND_NAMES);
  throw new MmmlError(
    "usage",
    `--backend expects one of ${BACKEND_NAMES.join("|")}, received "${value}"${
      near ? ` (did you mean ${near}?)` : ""
    }`,
  );
}

/** Loads the model named by --model from --registry (closing the registry) with --backend's engine. */
export async function loadTrainedFromFlags(
  values: { model?: string; registry?: string; backend?: string },
  ctx: CliContext,
): Promise<TrainedModel> {
  // Loaded here, not at the top: registry and export commands share this file and need no tfjs.
  const { loadTrained } = await import("../../runs/load_trained.ts");
  const registry = await openRegistry(values.registry, ctx);
  return await loadTrained(registry, values.model!, {
    logger: ctx.logger,
    backend: backendFlag(values.backend),
  }).finally(() => registry.close());
}
