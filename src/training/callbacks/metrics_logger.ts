/**
 * Writes one JSON line per epoch (the EpochLog: epoch, loss, accuracy, val_*, seconds, lr) to a file, so
 * a run can be followed with `tail -f` and plotted afterwards. The file starts afresh at each fit, with
 * the epochs a resumed fit carries over (ctx.history), so it always lists the whole run.
 */
import { dirname } from "node:path";
import type { Callback } from "./callback.ts";

/** Creates the callback writing to `path` (its folder is created). */
export function metricsLogger(path: string): Callback {
  return {
    async onTrainBegin(ctx) {
      await Deno.mkdir(dirname(path), { recursive: true });
      await Deno.writeTextFile(path, ctx.history.map((logs) => JSON.stringify(logs) + "\n").join(""));
    },
    async onEpochEnd(_epoch, logs) {
      await Deno.writeTextFile(path, JSON.stringify(logs) + "\n", { append: true });
    },
  };
}
