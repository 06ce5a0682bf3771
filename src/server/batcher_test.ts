import assert from "node:assert/strict";
import { createBatcher } from "./batcher.ts";

/** A run that doubles numbers, fails on negatives, and records each call's inputs. */
function doubling() {
  const calls: number[][] = [];
  const run = (items: number[]) => {
    calls.push([...items]);
    const bad = items.find((x) => x < 0);
    if (bad !== undefined) return Promise.reject(new Error(`negative input ${bad}`));
    return Promise.resolve(items.map((x) => x * 2));
  };
  return { calls, run };
}

Deno.test("Batcher merges concurrent requests into one call and maps results back in order", async () => {
  const { calls, run } = doubling();
  const sizes: number[] = [];
  const b = createBatcher({ maxBatchSize: 64, maxWaitMs: 5, run, onBatch: (n) => sizes.push(n) });
  const out = await Promise.all([b.submit([1, 2]), b.submit([3]), b.submit([4, 5, 6])]);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(out.map((o) => o.results), [[2, 4], [6], [8, 10, 12]]);
  assert.deepEqual(out.map((o) => o.batchSize), [6, 6, 6]);
  assert.deepEqual(sizes, [6]);
});

Deno.test("Batcher never puts more than maxBatchSize rows in a merged call", async () => {
  const { calls, run } = doubling();
  const b = createBatcher({ maxBatchSize: 4, maxWaitMs: 50, run });
  const inputs = Array.from({ length: 10 }, (_, i) => [i]);
  const out = await Promise.all(inputs.map((x) => b.submit(x)));
  assert.deepEqual(out.map((o) => o.results[0]), inputs.map(([x]) => x * 2));
  assert.ok(calls.every((c) => c.length <= 4), `calls: ${JSON.stringify(calls)}`);
  assert.deepEqual(calls.flat(), inputs.flat());
  assert.equal(calls.length, 3);
});

Deno.test("Batcher runs a request larger than maxBatchSize alone and at once", async () => {
  const { calls, run } = doubling();
  const b = createBatcher({ maxBatchSize: 3, maxWaitMs: 1000, run });
  const started = performance.now();
  const out = await b.submit([1, 2, 3, 4, 5]);
  assert.ok(performance.now() - started < 500, "a full request must not wait for the timer");
  assert.deepEqual(out, { results: [2, 4, 6, 8, 10], batchSize: 5 });
  assert.equal(calls.length, 1);
});

Deno.test("Batcher: a failing request does not fail the requests merged with it", async () => {
  const { calls, run } = doubling();
  const b = createBatcher({ maxBatchSize: 64, maxWaitMs: 5, run });
  const settled = await Promise.allSettled([b.submit([1]), b.submit([-7, 2]), b.submit([3])]);
  assert.deepEqual(settled[0], { status: "fulfilled", value: { results: [2], batchSize: 1 } });
  assert.equal(settled[1].status, "rejected");
  assert.match(String((settled[1] as PromiseRejectedResult).reason), /negative input -7/);
  assert.deepEqual(settled[2], { status: "fulfilled", value: { results: [6], batchSize: 1 } });
  // One merged call that failed, then each request alone.
  assert.deepEqual(calls, [[1, -7, 2, 3], [1], [-7, 2], [3]]);
});

Deno.test("Batcher waits at most maxWaitMs for company", async () => {
  const { calls, run } = doubling();
  const b = createBatcher({ maxBatchSize: 64, maxWaitMs: 20, run });
  const first = b.submit([1]);
  await new Promise((r) => setTimeout(r, 5));
  const second = b.submit([2]);
  assert.equal(b.queuedRows, 2);
  await Promise.all([first, second]);
  assert.deepEqual(calls, [[1, 2]]);
  const late = await b.submit([3]);
  assert.deepEqual(late.results, [6]);
  assert.deepEqual(calls, [[1, 2], [3]]);
});

Deno.test("Batcher with batching disabled runs every request on its own", async () => {
  const { calls, run } = doubling();
  const b = createBatcher({ enabled: false, maxBatchSize: 64, maxWaitMs: 5, run });
  await Promise.all([b.submit([1]), b.submit([2])]);
  assert.deepEqual(calls, [[1], [2]]);
});

Deno.test("Batcher reports a run that returns the wrong number of results", async () => {
  const b = createBatcher({
    maxBatchSize: 8,
    maxWaitMs: 0,
    run: (xs: number[]) => Promise.resolve(xs.slice(1)),
  });
  await assert.rejects(b.submit([1, 2]), /returned 1 results for 2 inputs/);
});
