/**
 * The server's side of the registry: resolves a model reference, loads the version it names (after
 * checking its artifacts' sha256) and puts it in the pool, switching a served reference to another
 * version atomically. The start-up loads, the registry watcher and the OIP v2 repository extension
 * all go through `sync`, so there is one way a model enters the pool and one place a switch is logged
 * and counted.
 *
 * Changes to one model name run one at a time (a queue per name): a watcher tick, a repository load and
 * an unload of the same model never interleave, and two references that move to the same version
 * share one loaded predictor.
 */
import { MmmlError } from "../errors.ts";
import type { Predictor } from "../inference/predictor_types.ts";
import type { Logger } from "../log.ts";
import type { ModelVersion, Registry } from "../registry/registry_types.ts";
import { type ModelPool, refName } from "./model_pool.ts";
import type { ServerMetrics } from "./server_metrics.ts";

/** Loads one registry version (src/inference/predictor.ts's loadPredictor, bound to its options). */
export type LoadModel = (version: ModelVersion) => Promise<Predictor>;

/** A served reference moved from one version to another. */
export interface SwapEvent {
  model: string;
  ref: string;
  from: number;
  to: number;
  /** Wall-clock time of the switch (ISO 8601). */
  at: string;
  /** Seconds the new version took to load (0 when it was already loaded for another reference). */
  load_seconds: number;
}

/** What `sync` did. */
export type SyncResult =
  | { status: "unchanged" | "loaded"; predictor: Predictor }
  | { status: "switched"; predictor: Predictor; previous: Predictor }
  | { status: "skipped"; reason: string };

/** One entry of the OIP v2 repository index. */
export interface IndexEntry {
  name: string;
  version: string;
  state: "READY" | "LOADING" | "UNAVAILABLE";
  reason: string;
}

export interface ModelRepository {
  /**
   * Resolves `ref` and makes the pool serve that version under `ref`: loads it (or reuses it when
   * another reference already loaded it), then binds it, or switches to it when `ref` was serving
   * another version. `onlyIfBound` (the watcher) leaves a reference that is no longer served alone;
   * `retryFailed: false` (the watcher) does not retry a version whose load already failed for `ref`.
   */
  sync(ref: string, options?: { onlyIfBound?: boolean; retryFailed?: boolean }): Promise<SyncResult>;
  /** Unloads every version of `name` (after the changes queued for it); resolves once all are closed. */
  unload(name: string): Promise<Predictor[]>;
  /** Every registered version and every loaded one, with its state. */
  index(options?: { ready?: boolean }): Promise<IndexEntry[]>;
  /** The most recent switches, oldest first. */
  history(): SwapEvent[];
}

export interface ModelRepositoryOptions {
  registry: Registry;
  pool: ModelPool;
  load: LoadModel;
  logger: Logger;
  metrics?: Pick<ServerMetrics, "modelSwaps" | "modelLoadFailures">;
  /** Wall clock for swap events; defaults to `new Date()`. */
  now?: () => Date;
  /** How many switches `history` keeps. */
  historySize?: number;
}

const errorMessage = (err: unknown) => err instanceof Error ? err.message : String(err);

/** Creates the repository over a registry, a pool and a loader. */
export function createModelRepository(
  { registry, pool, load, logger, metrics, now = () => new Date(), historySize = 20 }: ModelRepositoryOptions,
): ModelRepository {
  const queues = new Map<string, Promise<unknown>>();
  /** `name@version` being loaded now. */
  const loading = new Set<string>();
  /** Why `name@version` failed to load last, by that key. */
  const loadErrors = new Map<string, string>();
  /** The version whose load failed for a reference, so the watcher does not retry it every tick. */
  const failedFor = new Map<string, number>();
  const swaps: SwapEvent[] = [];

  /** Runs `fn` after every change queued before it for model `name`. */
  const serial = <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const run = (queues.get(name) ?? Promise.resolve()).then(fn);
    const tail = run.then(() => {}, () => {});
    queues.set(name, tail);
    tail.then(() => queues.get(name) === tail && queues.delete(name));
    return run;
  };

  const loadVersion = async (version: ModelVersion): Promise<Predictor> => {
    const key = `${version.meta.name}@${version.meta.version}`;
    loading.add(key);
    try {
      // A tampered or truncated artifact is refused here, naming the file, before ORT reads it.
      await registry.verify(version);
      const p = await load(version);
      loadErrors.delete(key);
      return p;
    } catch (err) {
      loadErrors.set(key, errorMessage(err));
      metrics?.modelLoadFailures.inc({ model: version.meta.name });
      throw err;
    } finally {
      loading.delete(key);
    }
  };

  const syncNow = async (
    ref: string,
    { onlyIfBound = false, retryFailed = true }: { onlyIfBound?: boolean; retryFailed?: boolean },
  ): Promise<SyncResult> => {
    const current = pool.bound(ref);
    if (onlyIfBound && !current) return { status: "skipped", reason: `${ref} is no longer served` };
    const version = await registry.resolve(ref);
    const { name, version: v } = version.meta;
    if (current && current.version === v && current.name === name) {
      return { status: "unchanged", predictor: current };
    }
    if (!retryFailed && failedFor.get(ref) === v) {
      return { status: "skipped", reason: `loading ${name}@${v} failed before` };
    }
    let predictor = pool.find(name, v);
    const reused = predictor !== undefined;
    const started = performance.now();
    if (!predictor) {
      try {
        predictor = await loadVersion(version);
      } catch (err) {
        failedFor.set(ref, v);
        // A first load's failure is the caller's to report (start-up, or the load request's answer).
        if (current) {
          logger.error(`cannot switch ${ref} to ${name}@${v}; still serving ${name}@${current.version}`, {
            ref,
            model: name,
            version: v,
            error: errorMessage(err),
          });
        }
        throw err;
      }
    }
    failedFor.delete(ref);
    const loadSeconds = reused ? 0 : (performance.now() - started) / 1000;
    if (!current) {
      pool.add(predictor, { ref });
      return { status: "loaded", predictor };
    }
    const { previous = current, retired, closed } = pool.swap(ref, predictor);
    const event: SwapEvent = {
      model: name,
      ref,
      from: previous.version,
      to: v,
      at: now().toISOString(),
      load_seconds: Number(loadSeconds.toFixed(3)),
    };
    swaps.push(event);
    if (swaps.length > historySize) swaps.shift();
    metrics?.modelSwaps.inc({ model: name });
    logger.info("model switched", { ...event, provider: predictor.provider });
    if (retired.length) {
      const drainStart = performance.now();
      closed.then(
        () =>
          logger.info("previous version closed after its requests finished", {
            model: `${name}@${previous.version}`,
            drain_ms: Math.round(performance.now() - drainStart),
          }),
        (err) => logger.error(`cannot close ${name}@${previous.version}`, { error: errorMessage(err) }),
      );
    }
    return { status: "switched", predictor, previous };
  };

  return {
    sync(ref, options = {}) {
      return serial(refName(ref), () => syncNow(ref, options));
    },

    unload(name) {
      return serial(name, async () => {
        const { retired, closed } = pool.unload(name);
        for (const [ref] of failedFor) if (refName(ref) === name) failedFor.delete(ref);
        logger.info("model unloading: finishing its requests in flight", {
          model: name,
          versions: retired.map((p) => p.version),
        });
        await closed;
        logger.info("model unloaded", { model: name, versions: retired.map((p) => p.version) });
        return retired;
      });
    },

    async index({ ready = false } = {}) {
      const entries = new Map<string, IndexEntry>();
      for (const { meta } of await registry.list()) {
        const key = `${meta.name}@${meta.version}`;
        entries.set(key, {
          name: meta.name,
          version: String(meta.version),
          state: loading.has(key) ? "LOADING" : "UNAVAILABLE",
          reason: loadErrors.get(key) ?? "",
        });
      }
      // Loaded versions are READY even when the registry no longer lists them (deleted while served).
      for (const p of pool.list()) {
        entries.set(`${p.name}@${p.version}`, {
          name: p.name,
          version: String(p.version),
          state: "READY",
          reason: "",
        });
      }
      return [...entries.values()]
        .filter((e) => !ready || e.state === "READY")
        .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : Number(a.version) - Number(b.version));
    },

    history: () => swaps.map((e) => ({ ...e })),
  };
}

/** True when `ref` can resolve to another version later (`NAME`, `@latest`, `@best`, `@<stage>`). */
export function isFloatingRef(ref: string): boolean {
  const at = ref.indexOf("@");
  return at < 0 || !/^v?\d+$/.test(ref.slice(at + 1));
}

/** A reference for `name` from the load request's version selector (a number, latest, best or a stage). */
export function refFor(name: string, selector: string | number | undefined): string {
  if (selector === undefined || selector === "") return `${name}@latest`;
  const text = String(selector);
  if (text.includes("@")) {
    throw new MmmlError(
      "invalid_input",
      `parameters.version: expected a version number, "latest", "best" or a stage name, received ${
        JSON.stringify(text)
      }`,
    );
  }
  return `${name}@${text}`;
}
