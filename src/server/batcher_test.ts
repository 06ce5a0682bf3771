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
  // Three calls here; four when a microtask checkpoint splits the loop (Deno's first setTimeout does).
  assert.ok(calls.length >= 3 && calls.length <= 4, JSON.stringify(calls));
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

/** A run that waits for `release()` before doubling, to hold a call in flight. */
function gated() {
  const calls: number[][] = [];
  const gates: (() => void)[] = [];
  const run = async (items: number[]) => {
    calls.push([...items]);
    await new Promise<void>((r) => gates.push(r));
    return items.map((x) => x * 2);
  };
  return { calls, run, release: () => gates.shift()!() };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

Deno.test("Batcher starts a lone request at once when nothing is running", async () => {
  const { calls, run } = doubling();
  const b = createBatcher({ maxBatchSize: 64, maxWaitMs: 5000, run });
  const started = performance.now();
  assert.deepEqual(await b.submit([1]), { results: [2], batchSize: 1 });
  assert.ok(performance.now() - started < 1000, "an idle batcher does not wait maxWaitMs");
  assert.deepEqual(calls, [[1]]);
});

Deno.test("Batcher queues requests behind a running call and starts them together when it ends", async () => {
  const { calls, run, release } = gated();
  const b = createBatcher({ maxBatchSize: 64, maxWaitMs: 5000, run });
  const first = b.submit([1]);
  await tick();
  assert.deepEqual(calls, [[1]]);
  assert.equal(b.inFlight, 1);
  const later = [b.submit([2]), b.submit([3, 4])];
  await tick(20);
  assert.equal(b.queuedRows, 3, "they wait while the first call runs");
  assert.equal(calls.length, 1);
  release();
  assert.deepEqual((await first).results, [2]);
  await tick();
  assert.deepEqual(calls, [[1], [2, 3, 4]]);
  release();
  const [second, third] = await Promise.all(later);
  assert.deepEqual(second, { results: [4], batchSize: 3 });
  assert.deepEqual(third, { results: [6, 8], batchSize: 3 });
  assert.equal(b.inFlight, 0);
});

Deno.test("Batcher: maxWaitMs bounds the wait behind a call that runs long", async () => {
  const { calls, run, release } = gated();
  const b = createBatcher({ maxBatchSize: 64, maxWaitMs: 15, run });
  const first = b.submit([1]);
  await tick();
  const second = b.submit([2]);
  await tick(60);
  assert.deepEqual(calls, [[1], [2]], "the second call started while the first still ran");
  assert.equal(b.inFlight, 2);
  release();
  release();
  assert.deepEqual((await first).results, [2]);
  assert.deepEqual((await second).results, [4]);
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
