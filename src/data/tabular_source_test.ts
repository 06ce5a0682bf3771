import assert from "node:assert/strict";
import type { Batch } from "./data_source.ts";
import { createTabularSource } from "./tabular_source.ts";

/** Row r holds features [r, r + 0.5] and class r % 3, so a batch shows which rows it gathered. */
function data(n: number) {
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    x[r * 2] = r;
    x[r * 2 + 1] = r + 0.5;
    y[r] = r % 3;
  }
  return { x, y };
}

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

function rowsOf(batches: Batch[]): number[] {
  return batches.flatMap((b) => Array.from({ length: b.size }, (_, i) => b.x[i * 2]));
}

Deno.test("TabularSource describes its matrix", () => {
  const { x, y } = data(10);
  const source = createTabularSource(x, y, 2, 3);
  assert.equal(source.size, 10);
  assert.deepEqual(source.inputShape, [2]);
  assert.equal(source.numClasses, 3);
  assert.equal(source.labels(), y);
});

Deno.test("TabularSource yields every row once per epoch in batches of batchSize", async () => {
  const { x, y } = data(10);
  const batches = await collect(
    createTabularSource(x, y, 2, 3).batches({ batchSize: 4, shuffle: true, seed: 1 }),
  );
  assert.deepEqual(batches.map((b) => b.size), [4, 4, 2]);
  const rows = rowsOf(batches);
  assert.deepEqual([...rows].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(rows, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const b of batches) {
    assert.equal(b.x.length, b.size * 2);
    for (let i = 0; i < b.size; i++) {
      assert.equal(b.x[i * 2 + 1], b.x[i * 2] + 0.5, "features stay together");
      assert.equal(b.y[i], b.x[i * 2] % 3, "labels follow their rows");
    }
  }
});

Deno.test("TabularSource shuffles the same way for a seed and differently for another", async () => {
  const { x, y } = data(50);
  const source = createTabularSource(x, y, 2, 3);
  const order = async (seed: number) =>
    rowsOf(await collect(source.batches({ batchSize: 8, shuffle: true, seed })));
  assert.deepEqual(await order(3), await order(3));
  assert.notDeepEqual(await order(3), await order(4));
});

Deno.test("TabularSource without shuffle yields rows in order as views", async () => {
  const { x, y } = data(5);
  const batches = await collect(
    createTabularSource(x, y, 2, 3).batches({ batchSize: 2, shuffle: false, seed: 0 }),
  );
  assert.deepEqual(rowsOf(batches), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(batches[2].y), [1]);
  assert.equal(batches[1].x.buffer, x.buffer);
});

Deno.test("TabularSource rejects a matrix that does not match its labels", () => {
  const { x, y } = data(4);
  assert.throws(
    () => createTabularSource(x.subarray(1), y, 2, 3),
    /x holds 7 values, expected 4 rows x 2 features/,
  );
  assert.throws(() => createTabularSource(x, y, 2, 2), /y\[2\] is 2, expected a class index in \[0, 2\)/);
});
