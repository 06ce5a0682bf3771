import assert from "node:assert/strict";
import { createHostReport } from "./host_report.ts";

Deno.test("createHostReport gathers once, on the first gather(), and keeps the report", async () => {
  let calls = 0;
  let finish!: (report: unknown) => void;
  let now = 1000;
  const report = createHostReport(() => {
    calls++;
    return new Promise((resolve) => (finish = resolve));
  }, { clock: () => now });
  assert.deepEqual(report.current(), { state: "not_started" });
  assert.equal(calls, 0, "nothing runs before gather()");
  const first = report.gather();
  const second = report.gather();
  assert.equal(first, second, "a second gather() joins the first");
  assert.equal(calls, 1);
  assert.deepEqual(report.current(), { state: "gathering" });
  now += 640;
  finish({ problems: [] });
  await first;
  assert.deepEqual(report.current(), { state: "ready", seconds: 0.64, report: { problems: [] } });
  await report.gather();
  assert.equal(calls, 1, "the report is cached, not gathered again");
});

Deno.test("createHostReport turns a failed gathering into a state naming the error", async () => {
  const report = createHostReport(() => Promise.reject(new Error("onnxruntime: cannot load the addon")));
  await report.gather(); // never rejects: /health must keep answering
  const state = report.current();
  assert.equal(state.state, "failed");
  assert.equal((state as { error: string }).error, "onnxruntime: cannot load the addon");
});
