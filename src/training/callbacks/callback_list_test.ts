import assert from "node:assert/strict";
import { createMemoryLogger } from "../../log.ts";
import type { Callback, EpochLog, TrainContext } from "./callback.ts";
import { callbackList } from "./callback_list.ts";

const ctx = {} as TrainContext;
const logs = { epoch: 1, loss: 1, accuracy: 0, seconds: 1, lr: 1 } as EpochLog;

Deno.test("a callback list calls every hook of its callbacks in order", async () => {
  const calls: string[] = [];
  const spy = (name: string): Callback => ({
    onTrainBegin: () => void calls.push(`${name}.trainBegin`),
    onEpochBegin: (e) => void calls.push(`${name}.epochBegin ${e}`),
    onBatchEnd: (b) => void calls.push(`${name}.batchEnd ${b}`),
    onEpochEnd: (e) => Promise.resolve(void calls.push(`${name}.epochEnd ${e}`)),
    onTrainEnd: () => void calls.push(`${name}.trainEnd`),
  });
  const list = callbackList([spy("a"), {}, spy("b")]);
  await list.onTrainBegin(ctx);
  await list.onEpochBegin(1, ctx);
  await list.onBatchEnd(0, { batch: 0, size: 1, loss: 1, accuracy: 1 }, ctx);
  await list.onEpochEnd(1, logs, ctx);
  await list.onTrainEnd(ctx);
  assert.deepEqual(calls, [
    "a.trainBegin",
    "b.trainBegin",
    "a.epochBegin 1",
    "b.epochBegin 1",
    "a.batchEnd 0",
    "b.batchEnd 0",
    "a.epochEnd 1",
    "b.epochEnd 1",
    "a.trainEnd",
    "b.trainEnd",
  ]);
});

Deno.test("a callback list captures states only from a callback after every stateful one, and restores them", async () => {
  const stateful = (key: string, into: unknown[]): Callback => ({
    stateKey: key,
    getState: () => ({ key }),
    setState: (s) => void into.push(s),
  });
  const restored: unknown[] = [];
  let captured: Record<string, unknown> | Error | null = null;
  const capture: Callback = {
    onEpochEnd: () => {
      try {
        captured = list.captureStates();
      } catch (err) {
        captured = err as Error;
      }
    },
  };
  let list = callbackList([stateful("a", restored), capture, stateful("b", restored)]);
  await list.onEpochEnd(1, logs, ctx);
  assert.match(String(captured), /callback "b" runs after the one saving the trainer state/);
  list = callbackList([stateful("a", restored), stateful("b", restored), capture]);
  await list.onEpochEnd(1, logs, ctx);
  assert.deepEqual(captured, { a: { key: "a" }, b: { key: "b" } });
  assert.throws(() => list.captureStates(), /only valid in onEpochEnd/);
  const logger = createMemoryLogger();
  list.restoreStates({ a: 1 }, logger);
  assert.deepEqual(restored, [1]);
  assert.match(logger.lines.join(""), /no state for the b callback/);
});
