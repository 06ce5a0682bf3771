/**
 * Defaults that depend on the task: a regression of a few hundred rows wants more epochs, a smaller batch
 * and weight decay than the schema's defaults (chosen for classifiers). They fill only keys the user did
 * not set (LoadedConfig.explicit); a key set in a file, by a flag or with --set always wins.
 */
import { formatPath } from "./schema_path.ts";
import { MmmlConfig } from "./schema.ts";

/** `config` with each of `defaults` (dotted key -> value) applied where `explicit` lacks the key. */
export function withTaskDefaults(
  config: MmmlConfig,
  defaults: Readonly<Record<string, unknown>>,
  explicit: ReadonlySet<string>,
): MmmlConfig {
  const out = structuredClone(config) as Record<string, unknown>;
  let changed = false;
  for (const [key, value] of Object.entries(defaults)) {
    const path = key.split(".");
    if (explicit.has(formatPath(path))) continue;
    let node = out;
    for (const part of path.slice(0, -1)) node = node[part as string] as Record<string, unknown>;
    node[path[path.length - 1] as string] = structuredClone(value);
    changed = true;
  }
  return changed ? MmmlConfig.parse(out) : config;
}
