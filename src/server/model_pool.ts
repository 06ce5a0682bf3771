/**
 * The set of loaded predictors the server answers from, by name and version; which model reference
 * (`iris@production`) each one serves; and the references the server was asked to load at start-up (so
 * /ready can say what is still missing). The pool is what turns "not loaded yet" into 503 and "never
 * heard of it" into 404.
 *
 * A hot swap rebinds a reference to another predictor in one synchronous step, so every request sees
 * either the old or the new one. Requests hold a lease on the predictor they run (`use`); a predictor
 * taken out of the pool is closed only once its last lease is released, so requests in flight on it
 * finish normally.
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

/** What taking predictors out of the pool left to do. */
export interface Retirement {
  /** Predictors no longer served (empty when the previous one is still bound to another reference). */
  retired: Predictor[];
  /** Settles once every retired predictor has finished its requests in flight and been closed. */
  closed: Promise<void>;
}

export interface ModelPool {
  /** Adds (or replaces) a predictor; `ref` binds the reference it serves (and satisfies it for /ready). */
  add(predictor: Predictor, options?: { ref?: string }): void;
  /**
   * Binds `ref` to `predictor` (adding it) in one step; the predictor `ref` served before is taken out
   * unless another reference still binds it, and closed once its requests in flight are done.
   */
  swap(ref: string, predictor: Predictor): Retirement & { previous?: Predictor };
  /** Records that a requested reference could not be loaded: the server stays not ready. */
  fail(ref: string, message: string): void;
  /**
   * The predictor for `name` at `version` (the highest loaded version when absent). Throws
   * `model_not_found` for an unknown name or version and `not_ready` while a requested one is loading.
   */
  get(name: string, version?: number): Predictor;
  /**
   * Runs `fn` with the predictor `get` picks, holding a lease on it until `fn` settles: a swap or unload
   * meanwhile closes it only afterwards.
   */
  use<T>(name: string, version: number | undefined, fn: (p: Predictor) => Promise<T>): Promise<T>;
  /** The loaded predictor of `name` at `version`, if any (no errors). */
  find(name: string, version: number): Predictor | undefined;
  /** The predictor bound to `ref`, if any. */
  bound(ref: string): Predictor | undefined;
  /** Bound references, sorted. */
  refs(): string[];
  /** References bound to `predictor`, sorted. */
  refsOf(predictor: Predictor): string[];
  /** Loaded predictors, sorted by name then version. */
  list(): Predictor[];
  /** Loaded versions of `name`, ascending. */
  versions(name: string): number[];
  /**
   * Takes every version of `name` out (new requests get 404), forgets its references (also for /ready),
   * and closes each once its requests in flight are done. Throws `model_not_found` when none is loaded.
   */
  unload(name: string): Retirement;
  readiness(): Readiness;
  /** Closes every predictor, including those still draining; the pool is empty afterwards. */
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

const byNameThenVersion = (a: Predictor, b: Predictor) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version;

/** Creates a pool that expects the given references (empty: ready at once). */
export function createModelPool({ requested = [] }: { requested?: readonly string[] } = {}): ModelPool {
  const loaded = new Map<string, Map<number, Predictor>>();
  const expected = new Set(requested);
  const satisfied = new Set<string>();
  const failed = new Map<string, string>();
  const bindings = new Map<string, Predictor>();
  const leases = new Map<Predictor, number>();
  /** Resolvers of predictors waiting for their last lease, by predictor. */
  const drained = new Map<Predictor, () => void>();
  const closing = new Set<Promise<void>>();

  const all = () => [...loaded.values()].flatMap((m) => [...m.values()]);
  const list = () => all().sort(byNameThenVersion);
  const describeLoaded = () => {
    const names = all().map((p) => `${p.name}@${p.version}`);
    return names.length ? names.sort().join(", ") : "none";
  };
  const pendingFor = (name: string) =>
    [...expected].filter((r) => refName(r) === name && !satisfied.has(r) && !failed.has(r));
  const stillLoading = (name: string, pending: string[]) =>
    new MmmlError("not_ready", `Model "${name}" is still loading (${pending.join(", ")}); retry shortly`);

  const put = (p: Predictor) => {
    let versions = loaded.get(p.name);
    if (!versions) loaded.set(p.name, versions = new Map());
    versions.set(p.version, p);
  };
  const bind = (ref: string, p: Predictor) => {
    bindings.set(ref, p);
    satisfied.add(ref);
    failed.delete(ref);
  };
  const isBound = (p: Predictor) => [...bindings.values()].includes(p);

  const release = (p: Predictor) => {
    const n = (leases.get(p) ?? 1) - 1;
    if (n > 0) return void leases.set(p, n);
    leases.delete(p);
    drained.get(p)?.();
  };

  /** Takes `ps` out of the map (if still there) and closes each after its last lease. */
  const retire = (ps: Predictor[]): Retirement => {
    for (const p of ps) {
      const versions = loaded.get(p.name);
      if (versions?.get(p.version) === p) versions.delete(p.version);
      if (versions?.size === 0) loaded.delete(p.name);
    }
    const closed = Promise.all(ps.map(async (p) => {
      if (leases.has(p)) await new Promise<void>((resolve) => drained.set(p, resolve));
      drained.delete(p);
      await p.close();
    })).then(() => {});
    closing.add(closed);
    const forget = () => closing.delete(closed);
    closed.then(forget, forget);
    return { retired: ps, closed };
  };

  const get = (name: string, version?: number): Predictor => {
    const versions = loaded.get(name);
    const pending = pendingFor(name);
    if (!versions || versions.size === 0) {
      if (pending.length) throw stillLoading(name, pending);
      throw new MmmlError(
        "model_not_found",
        `model: no model named ${JSON.stringify(name)} is loaded; loaded models: ${describeLoaded()}`,
      );
    }
    if (version === undefined) return versions.get(Math.max(...versions.keys()))!;
    const p = versions.get(version);
    if (p) return p;
    if (pending.length) throw stillLoading(name, pending);
    throw new MmmlError(
      "model_not_found",
      `version: model "${name}" has no loaded version ${version}; loaded versions: ${
        [...versions.keys()].sort((a, b) => a - b).join(", ")
      }`,
    );
  };

  return {
    add(predictor, { ref } = {}) {
      put(predictor);
      if (ref !== undefined) bind(ref, predictor);
    },

    swap(ref, predictor) {
      const previous = bindings.get(ref);
      put(predictor);
      bind(ref, predictor);
      if (!previous || previous === predictor || isBound(previous)) {
        return { previous, retired: [], closed: Promise.resolve() };
      }
      return { previous, ...retire([previous]) };
    },

    fail(ref, message) {
      failed.set(ref, message);
    },

    get,

    async use(name, version, fn) {
      // get and the lease happen in the same synchronous step, so no swap can close `p` in between.
      const p = get(name, version);
      leases.set(p, (leases.get(p) ?? 0) + 1);
      try {
        return await fn(p);
      } finally {
        release(p);
      }
    },

    find: (name, version) => loaded.get(name)?.get(version),
    bound: (ref) => bindings.get(ref),
    refs: () => [...bindings.keys()].sort(),
    refsOf: (p) => [...bindings].filter(([, q]) => q === p).map(([r]) => r).sort(),
    list,

    versions(name) {
      return [...(loaded.get(name)?.keys() ?? [])].sort((a, b) => a - b);
    },

    unload(name) {
      const ps = [...(loaded.get(name)?.values() ?? [])].sort(byNameThenVersion);
      if (ps.length === 0) {
        throw new MmmlError(
          "model_not_found",
          `model: no model named ${JSON.stringify(name)} is loaded; loaded models: ${describeLoaded()}`,
        );
      }
      for (const ref of [...bindings.keys(), ...expected, ...failed.keys()]) {
        if (refName(ref) !== name) continue;
        bindings.delete(ref);
        expected.delete(ref);
        satisfied.delete(ref);
        failed.delete(ref);
      }
      return retire(ps);
    },

    readiness() {
      const pending = [...expected].filter((r) => !satisfied.has(r) && !failed.has(r));
      const failures = [...failed].map(([ref, message]) => ({ ref, message }));
      return { ready: pending.length === 0 && failures.length === 0, pending, failed: failures };
    },

    async close() {
      const ps = all();
      loaded.clear();
      bindings.clear();
      // A shutdown has already drained the server: whatever still holds a lease is abandoned.
      for (const resolve of drained.values()) resolve();
      const results = await Promise.allSettled([...ps.map((p) => p.close()), ...closing]);
      const bad = results.find((r) => r.status === "rejected");
      if (bad) throw (bad as PromiseRejectedResult).reason;
    },
  };
}
