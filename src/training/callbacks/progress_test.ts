import assert from "node:assert/strict";
import type { Logger } from "../../log.ts";
import type { BatchLog, EpochLog, TrainContext } from "./callback.ts";
import { epochLine, progressBar } from "./progress.ts";

function recordingLogger(): Logger & { text: string[] } {
  const text: string[] = [];
  const none = () => {};
  return { debug: none, info: none, warn: none, error: none, write: (t) => void text.push(t), text };
}

const history: EpochLog[] = [];
const ctx = { epochs: 2, stepsPerEpoch: 4, history, requestStop: () => {} } as unknown as TrainContext;
const batch = (i: number): BatchLog => ({ batch: i, size: 10, loss: 1 - i * 0.1, accuracy: 0.5 });
const epochLog: EpochLog = { epoch: 1, loss: 0.85, accuracy: 0.5, val_loss: 0.7, seconds: 2, lr: 0.001 };

/** Drives one epoch of four batches, one per `stepMs` of the fake clock. */
function runEpoch(isTerminal: boolean, stepMs: number) {
  const logger = recordingLogger();
  let now = 0;
  const bar = progressBar({ logger, isTerminal, clock: () => now, redrawMs: 100 });
  bar.onEpochBegin?.(1, ctx);
  for (let i = 0; i < 4; i++) {
    now += stepMs;
    bar.onBatchEnd?.(i, batch(i), ctx);
  }
  bar.onEpochEnd?.(1, epochLog, ctx);
  return logger.text;
}

Deno.test("Progress writes one line per epoch when stderr is not a terminal", () => {
  assert.deepEqual(runEpoch(false, 500), [
    "epoch 1/2 - 2.0s - loss 0.8500 - accuracy 0.5000 - val_loss 0.7000 - lr 1.00e-3\n",
  ]);
});

Deno.test("Progress redraws one line on a terminal with running loss and time left", () => {
  const text = runEpoch(true, 500);
  assert.equal(text.length, 5);
  assert.equal(
    text[0],
    "\r\x1b[Kepoch 1/2 [====>...............] 1/4 - loss 1.0000 - accuracy 0.5000 - ETA 1.5s",
  );
  assert.equal(
    text[1],
    "\r\x1b[Kepoch 1/2 [=========>..........] 2/4 - loss 0.9500 - accuracy 0.5000 - ETA 1.0s",
  );
  assert.equal(
    text[4],
    "\r\x1b[Kepoch 1/2 - 2.0s - loss 0.8500 - accuracy 0.5000 - val_loss 0.7000 - lr 1.00e-3\n",
  );
});

Deno.test("Progress redraws at most once per redraw interval", () => {
  const text = runEpoch(true, 40); // batches at 40, 80, 120, 160 ms: drawn at 40 and 160
  assert.equal(text.length, 3);
  assert.match(text[1], / 4\/4 /);
});

Deno.test("epochLine shows long epochs in minutes", () => {
  assert.equal(
    epochLine(3, 10, { ...epochLog, seconds: 125 }),
    "epoch 3/10 - 2m5s - loss 0.8500 - accuracy 0.5000 - val_loss 0.7000 - lr 1.00e-3",
  );
});
