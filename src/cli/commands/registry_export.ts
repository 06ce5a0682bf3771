/**
 * `mmml registry export [NAME] --json`: every version's full metadata (metrics, timings, stages, tags,
 * sha256 of each artifact, created, folder) as one JSON object, for backups and for inspecting a
 * registry with other tools. The artifacts themselves stay where they are.
 */
import type { CliContext } from "../context.ts";
import { MmmlError } from "../../errors.ts";
import type { ModelMeta, Registry } from "../../registry/registry_types.ts";

/** What `mmml registry export --json` prints. */
export interface RegistryExport {
  /** The registry's location (a folder, or a PostgreSQL URL without its password). */
  registry: string;
  /** One entry per version, by name then version: its metadata and its artifacts folder. */
  models: (ModelMeta & { dir: string })[];
}

/** Every version of `name` (or of every model) with its full metadata. */
export async function exportRegistry(registry: Registry, name?: string): Promise<RegistryExport> {
  const versions = await registry.list(name);
  // An export of a misspelt name should fail, not back up nothing; resolve names what exists.
  if (name !== undefined && versions.length === 0) await registry.resolve(name);
  return { registry: registry.location, models: versions.map((v) => ({ ...v.meta, dir: v.dir })) };
}

/** Prints exportRegistry's object; refuses without --json, since the export is only machine output. */
export async function exportCommand(
  registry: Registry,
  name: string | undefined,
  { json = false, stdout }: { json?: boolean; stdout: CliContext["stdout"] },
): Promise<number> {
  if (!json) {
    throw new MmmlError(
      "usage",
      `mmml registry export prints JSON and needs --json (e.g. mmml registry export${
        name ? ` ${name}` : ""
      } ` +
        `--json > registry.json); received no --json`,
    );
  }
  stdout(JSON.stringify(await exportRegistry(registry, name)) + "\n");
  return 0;
}
