import assert from "node:assert/strict";
import { MmmlError } from "../../errors.ts";
import type { EpochLog } from "./callback.ts";
import { createMonitor } from "./monitor.ts";

const logs = (figures: Record<string, number>) =>
  ({ epoch: 1, loss: 1, accuracy: 0, seconds: 1, lr: 1e-3, ...figures }) as EpochLog;

Deno.test("a monitor takes the first value, then only improvements past minDelta in its direction", () => {
  const loss = createMonitor({ monitor: "val_loss", minDelta: 0.01, setting: "x" });
  assert.equal(loss.direction, "min");
  assert.ok(loss.improves(0.5));
  assert.ok(!loss.improves(0.495), "within minDelta");
  assert.ok(loss.improves(0.4));
  assert.equal(loss.best, 0.4);
  const acc = createMonitor({ monitor: "val_accuracy", setting: "x" });
  assert.equal(acc.direction, "max");
  assert.ok(acc.improves(0.5) && !acc.improves(0.4) && acc.improves(0.6));
  acc.reset(0.9, true);
  assert.ok(!acc.improves(0.8));
  acc.reset();
  assert.ok(acc.improves(0.1), "after a reset the first value is the best");
});

Deno.test("a monitor names the setting and the figures there are when the logs lack its figure", () => {
  const m = createMonitor({ monitor: "val_f1", setting: "training.early_stopping.monitor" });
  assert.throws(
    () => m.value(logs({ val_loss: 1 })),
    (e) =>
      e instanceof MmmlError &&
      /^training\.early_stopping\.monitor: expected one of loss, accuracy, val_loss/.test(e.message),
  );
  assert.equal(m.value(logs({ val_f1: 0.7 })), 0.7);
});
