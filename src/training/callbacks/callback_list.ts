/**
 * A list of callbacks that is itself a callback (Keras 3's CallbackList): the trainer calls one hook and
 * the list calls each callback's in order. It also gathers the stateful callbacks' states for a resumable
 * checkpoint, and hands them back when a run resumes.
 */
import type { Logger } from "../../log.ts";
import type { Callback } from "./callback.ts";

export interface CallbackList extends Required<Pick<Callback, HookName>> {
  readonly callbacks: readonly Callback[];
  /**
   * Every stateful callback's getState(), by stateKey. Only consistent while onEpochEnd runs, from a
   * callback placed after every stateful one (the checkpoint); anything else is a programming error.
   */
  captureStates(): Record<string, unknown>;
  /** Hands each stateful callback its saved state; one the checkpoint lacks starts fresh, with a warning. */
  restoreStates(saved: Record<string, unknown>, logger: Logger): void;
}

type HookName = "onTrainBegin" | "onEpochBegin" | "onBatchEnd" | "onEpochEnd" | "onTrainEnd";

/** Wraps `callbacks` (run in the given order). */
export function callbackList(callbacks: readonly Callback[]): CallbackList {
  // Which callback's onEpochEnd is running: captureStates is only consistent there.
  let running = -1;
  const stateful = () => callbacks.filter((cb) => cb.stateKey && cb.getState);
  return {
    callbacks,
    async onTrainBegin(ctx) {
      for (const cb of callbacks) await cb.onTrainBegin?.(ctx);
    },
    async onEpochBegin(epoch, ctx) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, ctx);
    },
    async onBatchEnd(batch, logs, ctx) {
      for (const cb of callbacks) await cb.onBatchEnd?.(batch, logs, ctx);
    },
    async onEpochEnd(epoch, logs, ctx) {
      try {
        for (const [i, cb] of callbacks.entries()) {
          running = i;
          await cb.onEpochEnd?.(epoch, logs, ctx);
        }
      } finally {
        running = -1;
      }
    },
    async onTrainEnd(ctx) {
      for (const cb of callbacks) await cb.onTrainEnd?.(ctx);
    },
    captureStates() {
      if (running < 0) throw new Error("TrainContext.captureState is only valid in onEpochEnd");
      // A stateful callback later in the list has not seen this epoch yet; its state would lag.
      const late = callbacks.slice(running + 1).find((cb) => cb.stateKey && cb.getState);
      if (late) {
        throw new Error(
          `callback "${late.stateKey}" runs after the one saving the trainer state; put it earlier`,
        );
      }
      return Object.fromEntries(stateful().map((cb) => [cb.stateKey!, cb.getState!()]));
    },
    restoreStates(saved, logger) {
      for (const cb of callbacks) {
        if (!cb.stateKey || !cb.setState) continue;
        if (cb.stateKey in saved) cb.setState(saved[cb.stateKey]);
        else logger.warn(`the checkpoint holds no state for the ${cb.stateKey} callback; it starts afresh`);
      }
    },
  };
}
