/**
 * `mmml registry promote` and `mmml registry tag`: the two subcommands that change a version's labels.
 * Both resolve any reference form first (NAME, NAME@3, NAME@latest, NAME@best, NAME@<stage>), so what
 * they print names the version that changed.
 */
import type { CliContext } from "../context.ts";
import { MmmlError } from "../../errors.ts";
import type { Registry } from "../../registry/registry_types.ts";
import { registryEntry } from "./registry_entry.ts";

/** Options of promoteVersion and tagVersion. */
export interface LabelOptions {
  /** Print one JSON object instead of a sentence. */
  json?: boolean;
  /** Where the result goes (the CLI's stdout). */
  stdout: CliContext["stdout"];
}

/**
 * Puts the version `ref` names in `stage`, taking the stage off every other version of the model in the
 * same registry transaction (setStages with `exclusive`), so NAME@STAGE never names two versions and a
 * server following it never sees none. Prints the versions the stage was taken from.
 */
export async function promoteVersion(
  registry: Registry,
  ref: string,
  { stage, json = false, stdout }: LabelOptions & { stage: string | undefined },
): Promise<number> {
  if (stage === undefined) {
    throw new MmmlError(
      "usage",
      `mmml registry promote ${ref} needs --stage STAGE (e.g. --stage production)`,
    );
  }
  const target = await registry.resolve(ref);
  const { name, version } = target.meta;
  // Who held the stage just before, for the message; the move itself is one transaction.
  const demoted = (await registry.list(name))
    .filter((v) => v.meta.version !== version && v.meta.stages.includes(stage))
    .map((v) => v.meta.version);
  const stages = target.meta.stages.includes(stage) ? target.meta.stages : [...target.meta.stages, stage];
  const promoted = await registry.setStages(name, version, stages, { exclusive: true });
  if (json) {
    stdout(JSON.stringify({ ...registryEntry(promoted), demoted }) + "\n");
  } else {
    const from = demoted.length ? ` (taken from ${demoted.map((v) => `${name}@${v}`).join(", ")})` : "";
    stdout(`${name}@${version} is now in stage ${stage}${from}\n`);
  }
  return 0;
}

/** Adds the free-form tag `text` to the version `ref` names (a tag already there is kept once). */
export async function tagVersion(
  registry: Registry,
  ref: string,
  { text, json = false, stdout }: LabelOptions & { text: string },
): Promise<number> {
  const target = await registry.resolve(ref);
  const { name, version } = target.meta;
  const tagged = await registry.setTags(name, version, [...target.meta.tags, text]);
  stdout(
    json
      ? JSON.stringify({ ...registryEntry(tagged), tags: tagged.meta.tags }) + "\n"
      : `${name}@${version} tags: ${tagged.meta.tags.join(", ")}\n`,
  );
  return 0;
}
