/**
 * "Monitor a metric": what early stopping, the model checkpoint and plateau reduction share (Keras 3's
 * MonitorCallback): read the figure from an epoch's logs, know which direction is better, and keep the
 * best value seen so far.
 */
import type { EpochLog, MonitorMode } from "./callback.ts";
import { isImprovement, monitoredValue, resolveMode } from "./callback.ts";

export interface Monitor {
  /** The figure watched, e.g. "val_loss". */
  readonly name: string;
  readonly direction: "min" | "max";
  /** The best value accepted so far; NaN before the first. */
  readonly best: number;
  /** Whether a value has been accepted since the last reset. */
  readonly seen: boolean;
  /** The watched figure of an epoch's logs; a missing one fails naming the setting it came from. */
  value(logs: EpochLog): number;
  /** Accepts `value` as the new best when it is the first or beats the best by more than minDelta. */
  improves(value: number): boolean;
  /** Forgets the best (or sets one restored from a checkpoint). */
  reset(best?: number, seen?: boolean): void;
}

/** A monitor of `monitor` in `mode` ("auto": max for accuracy-like figures, else min). */
export function createMonitor(
  { monitor, mode = "auto", minDelta = 0, setting }: {
    monitor: string;
    mode?: MonitorMode;
    minDelta?: number;
    /** The config key that named the figure, for the error when the logs lack it. */
    setting: string;
  },
): Monitor {
  const direction = resolveMode(monitor, mode);
  let best = NaN, seen = false;
  return {
    name: monitor,
    direction,
    get best() {
      return best;
    },
    get seen() {
      return seen;
    },
    value: (logs) => monitoredValue(logs, monitor, setting),
    improves(value) {
      if (seen && !isImprovement(value, best, direction, minDelta)) return false;
      [best, seen] = [value, true];
      return true;
    },
    reset(value = NaN, wasSeen = !Number.isNaN(value)) {
      [best, seen] = [value, wasSeen];
    },
  };
}
