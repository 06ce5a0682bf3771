/**
 * The set of loaded predictors the server answers from, by name and version, and the list of model
 * references the server was asked to load (so /ready can say what is still missing). Models load after
 * the port opens; the pool is what turns "not loaded yet" into 503 and "never heard of it" into 404.
 */
import { MmmlError } from "../errors.ts";
import type { Predictor } from "../inference/predictor_types.ts";

export interface Readiness {
  ready: boolean;
  /** Requested references not loaded yet. */
  pending: string[];
  /** Requested references whose load failed, with the reason. */
  failed: { ref: string; message: string }[];
}

export interface ModelPool {
  /** Adds (or replaces) a predictor; `ref` marks the requested reference it satisfies. */
  add(predictor: Predictor, options?: { ref?: string }): void;
  /** Records that a requested reference could not be loaded: the server stays not ready. */
  fail(ref: string, message: string): void;
  /**
   * The predictor for `name` at `version` (the highest loaded version when absent). Throws
   * `model_not_found` for an unknown name or version and `not_ready` while a requested one is loading.
   */
  get(name: string, version?: number): Predictor;
  /** Loaded predictors, sorted by name then version. */
  list(): Predictor[];
  /** Loaded versions of `name`, ascending. */
  versions(name: string): number[];
  readiness(): Readiness;
  /** Closes every predictor; the pool is empty afterwards. */
  close(): Promise<void>;
}

/** The model name of a reference such as `iris`, `iris@3` or `iris@best`. */
export function refName(ref: string): string {
  const at = ref.indexOf("@");
  return at < 0 ? ref : ref.slice(0, at);
}

/** Why a pool is not ready, for the 503 message: what is still loading and what failed. */
export function notReadyMessage(r: Readiness): string {
  const parts = [
    r.pending.length ? `still loading: ${r.pending.join(", ")}` : "",
    ...r.failed.map((f) => `failed to load ${f.ref}: ${f.message}`),
  ].filter(Boolean);
  return `Not ready; ${parts.join("; ")}`;
}

/** Creates a pool that expects the given references (empty: ready at once). */
export function createModelPool({ requested = [] }: { requested?: readonly string[] } = {}): ModelPool {
  const loaded = new Map<string, Map<number, Predictor>>();
  const satisfied = new Set<string>();
  const failed = new Map<string, string>();

  const describeLoaded = () => {
    const all = [...loaded.values()].flatMap((m) => [...m.values()]).map((p) => `${p.name}@${p.version}`);
    return all.length ? all.sort().join(", ") : "none";
  };

  const list = () =>
    [...loaded.values()].flatMap((m) => [...m.values()])
      .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version);

  return {
    add(predictor, { ref } = {}) {
      let versions = loaded.get(predictor.name);
      if (!versions) loaded.set(predictor.name, versions = new Map());
      versions.set(predictor.version, predictor);
      if (ref !== undefined) {
        satisfied.add(ref);
        failed.delete(ref);
      }
    },

    fail(ref, message) {
      failed.set(ref, message);
    },

    get(name, version) {
      const versions = loaded.get(name);
      const pending = requested.filter((r) => refName(r) === name && !satisfied.has(r) && !failed.has(r));
      if (!versions || versions.size === 0) {
        if (pending.length) {
          throw new MmmlError(
            "not_ready",
            `Model "${name}" is still loading (${pending.join(", ")}); retry shortly`,
          );
        }
        throw new MmmlError(
          "model_not_found",
          `model: no model named ${JSON.stringify(name)} is loaded; loaded models: ${describeLoaded()}`,
        );
      }
      if (version === undefined) return versions.get(Math.max(...versions.keys()))!;
      const p = versions.get(version);
      if (p) return p;
      if (pending.length) {
        throw new MmmlError(
          "not_ready",
          `Model "${name}" is still loading (${pending.join(", ")}); retry shortly`,
        );
      }
      throw new MmmlError(
        "model_not_found",
        `version: model "${name}" has no loaded version ${version}; loaded versions: ${
          [...versions.keys()].sort((a, b) => a - b).join(", ")
        }`,
      );
    },

    list,

    versions(name) {
      return [...(loaded.get(name)?.keys() ?? [])].sort((a, b) => a - b);
    },

    readiness() {
      const pending = requested.filter((r) => !satisfied.has(r) && !failed.has(r));
      const failures = [...failed].map(([ref, message]) => ({ ref, message }));
      return { ready: pending.length === 0 && failures.length === 0, pending, failed: failures };
    },

    async close() {
      const all = list();
      loaded.clear();
      const results = await Promise.allSettled(all.map((p) => p.close()));
      const bad = results.find((r) => r.status === "rejected");
      if (bad) throw (bad as PromiseRejectedResult).reason;
    },
  };
}
