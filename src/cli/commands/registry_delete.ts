/**
 * `mmml registry delete NAME@V --yes`: removes one version through Registry.delete (metadata first, so
 * no reader sees a half-deleted version; its number is never handed out again). Deleting cannot be
 * undone, so it needs --yes, and a version in a stage (which a server may be following) also --force.
 */
import type { CliContext } from "../context.ts";
import { MmmlError } from "../../errors.ts";
import type { Registry } from "../../registry/registry_types.ts";

/** Options of deleteCommand. */
export interface DeleteOptions {
  /** The user confirmed (--yes); without it nothing is deleted. */
  yes?: boolean;
  /** Delete even a version that holds a stage (--force). */
  force?: boolean;
  /** Print one JSON object instead of a sentence. */
  json?: boolean;
  /** Where the result goes (the CLI's stdout). */
  stdout: CliContext["stdout"];
}

/**
 * Deletes the version `ref` names (any form; the messages name the resolved NAME@V). Throws MmmlError
 * "usage" without --yes, or for a version in a stage without --force; "model_not_found" from resolve.
 */
export async function deleteCommand(
  registry: Registry,
  ref: string,
  { yes = false, force = false, json = false, stdout }: DeleteOptions,
): Promise<number> {
  const target = await registry.resolve(ref);
  const { name, version, stages, created } = target.meta;
  const label = `${name}@${version}`;
  const named = ref === label ? label : `${ref} (${label})`;
  const staged = stages.length > 0;
  const inStages = `in stage ${stages.join(", ")}`;
  if (!yes) {
    const what = `created ${created}${staged ? `, ${inStages}` : ""}`;
    const rerun = `mmml registry delete ${label} --yes${staged ? " --force" : ""}`;
    throw new MmmlError(
      "usage",
      `mmml registry delete ${named} removes that version (${what}) and its folder ${target.dir} for good; ` +
        `to delete it, run "${rerun}"; received no --yes`,
    );
  }
  if (staged && !force) {
    const [stage] = stages;
    throw new MmmlError(
      "usage",
      `mmml registry delete ${named}: ${label} is ${inStages}, so ${name}@${stage} would stop resolving; ` +
        `promote another version first (mmml registry promote ${name}@V --stage ${stage}) or add --force; ` +
        `received no --force`,
    );
  }
  await registry.delete(name, version);
  stdout(
    json
      ? JSON.stringify({ deleted: { name, version, stages, dir: target.dir } }) + "\n"
      : `deleted ${label}${staged ? ` (was ${inStages})` : ""}\n`,
  );
  return 0;
}
