/**
 * Follows the registry: every `intervalMs` it re-resolves each served reference that can move
 * (`penguins@production`, `penguins@latest`, `penguins@best`, `penguins`) and lets the repository load
 * and switch to the version it now names. Polling, not notifications: the registry may be a SQLite file
 * written by another process or a PostgreSQL database shared by several machines, and a resolve every
 * couple of seconds costs nothing next to a prediction.
 *
 * Ticks never overlap (the next is scheduled when one ends). A failing reference is logged when its
 * problem changes, not on every tick, and the version already served keeps answering.
 */
import type { Logger } from "../log.ts";
import type { ModelPool } from "./model_pool.ts";
import { isFloatingRef, type ModelRepository } from "./model_repository.ts";

/**
 * How often the served references are re-resolved.
 * The interval comes from `serving.watch_interval_ms` (default 2000, 0 = off).
 */
export const DEFAULT_WATCH_INTERVAL_MS = 2000;

export interface ModelWatcher {
  /** One pass over the served references (what each timer tick runs); for tests and start-up. */
  tick(): Promise<void>;
  /** Stops the timer and waits for a pass in progress to end. */
  stop(): Promise<void>;
}

export interface ModelWatcherOptions {
  pool: ModelPool;
  repository: ModelRepository;
  logger: Logger;
  /** Milliseconds between passes; 0 never starts the timer (tick() still works). */
  intervalMs?: number;
}

/** Starts watching; call `stop()` before closing the pool and the registry. */
export function createModelWatcher(
  { pool, repository, logger, intervalMs = DEFAULT_WATCH_INTERVAL_MS }: ModelWatcherOptions,
): ModelWatcher {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let running: Promise<void> | null = null;
  /** The last problem logged per reference, so a lasting one is logged once. */
  const problems = new Map<string, string>();

  const pass = async () => {
    for (const ref of pool.refs().filter(isFloatingRef)) {
      if (stopped) return;
      try {
        const r = await repository.sync(ref, { onlyIfBound: true, retryFailed: false });
        if (r.status !== "skipped") problems.delete(ref);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (problems.get(ref) === message) continue;
        problems.set(ref, message);
        const serving = pool.bound(ref);
        logger.warn(
          `cannot follow ${ref}; still serving ${serving ? `version ${serving.version}` : "nothing"}`,
          {
            ref,
            error: message,
          },
        );
      }
    }
  };

  const tick = () => {
    // A tick asked for while one runs joins it instead of starting a second pass beside it.
    running ??= pass().finally(() => running = null);
    return running;
  };

  const schedule = () => {
    if (stopped || intervalMs <= 0) return;
    const t = setTimeout(() => {
      timer = undefined;
      tick().finally(schedule);
    }, intervalMs);
    // The watcher alone must not keep a process alive whose server has stopped.
    Deno.unrefTimer(t);
    timer = t;
  };
  schedule();

  return {
    tick,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
