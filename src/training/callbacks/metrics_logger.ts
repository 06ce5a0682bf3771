/**
 * Writes one JSON line per epoch (the EpochLog: epoch, loss, accuracy, val_*, seconds, lr) to a file, so
 * a run can be followed with `tail -f` and plotted afterwards. The file starts empty at each fit.
 */
import { dirname } from "node:path";
import type { Callback } from "./callback.ts";

/** Creates the callback writing to `path` (its folder is created). */
export function metricsLogger(path: string): Callback {
  return {
    async onTrainBegin() {
      await Deno.mkdir(dirname(path), { recursive: true });
      await Deno.writeTextFile(path, "");
    },
    async onEpochEnd(_epoch, logs) {
      await Deno.writeTextFile(path, JSON.stringify(logs) + "\n", { append: true });
    },
  };
}
