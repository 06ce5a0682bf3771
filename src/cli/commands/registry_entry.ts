/**
 * The summary of one version that `mmml registry list --json` prints, one entry per version, and that
 * latest, best, promote and tag print with --json.
 */
import type { ModelVersion } from "../../registry/registry_types.ts";

/** One entry of `mmml registry list --json`: {"models": [RegistryEntry, ...]}. */
export interface RegistryEntry {
  name: string;
  version: number;
  created: string;
  task: string;
  metrics: Record<string, number>;
  stages: string[];
}

/** The list entry of a version, keys in the contract's order. */
export function registryEntry({ meta }: ModelVersion): RegistryEntry {
  return {
    name: meta.name,
    version: meta.version,
    created: meta.created,
    task: meta.task,
    metrics: meta.metrics ?? {},
    stages: meta.stages ?? [],
  };
}
