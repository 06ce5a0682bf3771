/**
 * Human progress on stderr (through logger.write). On a terminal one line is redrawn in place with the
 * running loss, accuracy and time left in the epoch; elsewhere (CI logs, pipes) redrawing would only
 * add noise, so it writes one line per epoch.
 */
import type { Logger } from "../../log.ts";
import type { Callback, EpochLog } from "./callback.ts";

export interface ProgressOptions {
  logger: Logger;
  /** Defaults to whether stderr is a terminal. */
  isTerminal?: boolean;
  /** Milliseconds, monotonic. */
  clock?: () => number;
  /** Least time between redraws on a terminal. */
  redrawMs?: number;
  barWidth?: number;
}

const CLEAR_LINE = "\r\x1b[K";

/** Creates the progress callback. */
export function progressBar(
  {
    logger,
    isTerminal = Deno.stderr.isTerminal(),
    clock = () => performance.now(),
    redrawMs = 100,
    barWidth = 20,
  }: ProgressOptions,
): Callback {
  let epochStart = 0, lastDraw = -Infinity, rows = 0, lossSum = 0, correct = 0;
  return {
    onEpochBegin() {
      [epochStart, lastDraw, rows, lossSum, correct] = [clock(), -Infinity, 0, 0, 0];
    },
    onBatchEnd(batch, logs, ctx) {
      rows += logs.size;
      lossSum += logs.loss * logs.size;
      correct += (logs.accuracy ?? NaN) * logs.size;
      const now = clock();
      if (!isTerminal || now - lastDraw < redrawMs) return;
      lastDraw = now;
      const done = batch + 1, total = ctx.stepsPerEpoch;
      const filled = Math.round((barWidth * done) / total);
      const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? ">" : "") +
        ".".repeat(barWidth - filled);
      const eta = ((now - epochStart) / done) * (total - done) / 1000;
      logger.write(
        `${CLEAR_LINE}epoch ${ctx.history.length + 1}/${ctx.epochs} [${bar}] ${done}/${total}` +
          ` - loss ${fmt(lossSum / rows)}${
            logs.accuracy === undefined ? "" : ` - accuracy ${fmt(correct / rows)}`
          }` +
          ` - ETA ${duration(eta)}`,
      );
    },
    onEpochEnd(epoch, logs, ctx) {
      logger.write(`${isTerminal ? CLEAR_LINE : ""}${epochLine(epoch, ctx.epochs, logs)}\n`);
    },
  };
}

/** `epoch 3/20 - 1.2s - loss 0.4321 - accuracy 0.8812 - val_loss 0.4012 - ... - lr 1.00e-3` */
export function epochLine(epoch: number, epochs: number, logs: EpochLog): string {
  const figures = Object.entries(logs)
    .filter(([key]) => !["epoch", "seconds", "lr"].includes(key))
    .map(([key, value]) => `${key} ${fmt(value)}`);
  // The rate of the epoch's last step, as Keras 3 shows learning_rate: schedules move it.
  return [`epoch ${epoch}/${epochs}`, duration(logs.seconds), ...figures, `lr ${logs.lr.toExponential(2)}`]
    .join(" - ");
}

const fmt = (v: number) => Number.isFinite(v) ? v.toFixed(4) : String(v);

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${Math.floor(seconds % 60)}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}
