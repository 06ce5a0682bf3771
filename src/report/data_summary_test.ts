import { parseDataSummary } from "../artifacts/data_summary_file.ts";
import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { buildDataSummary } from "./data_summary.ts";

const split = (y: number[]) => ({ labels: () => Int32Array.from(y) });

Deno.test("buildDataSummary counts rows and classes of each split that exists", () => {
  const summary = buildDataSummary({
    classes: ["a", "b", "c"],
    inputShape: [7],
    train: split([0, 0, 1, 2, 2, 2]),
    val: split([1, 2]),
    test: null,
    testSource: "split",
  });
  assert.deepEqual(summary.input_shape, [7]);
  assert.deepEqual(summary.splits.train, { rows: 6, class_counts: [2, 1, 3] });
  assert.deepEqual(summary.splits.val, { rows: 2, class_counts: [0, 1, 1] });
  assert.equal(summary.splits.test, undefined);
  assert.deepEqual(parseDataSummary(JSON.parse(JSON.stringify(summary))), summary);
});

Deno.test("buildDataSummary refuses a label outside the classes", () => {
  assert.throws(
    () => buildDataSummary({ classes: ["a", "b"], inputShape: [1], train: split([0, 2]) }),
    /train label 1 must be a class index in \[0, 2\), received 2/,
  );
});

Deno.test("parseDataSummary refuses counts that do not match the classes", () => {
  const summary = buildDataSummary({ classes: ["a", "b"], inputShape: [1], train: split([0, 1]) });
  const bad = { ...summary, splits: { train: { rows: 2, class_counts: [2] } } };
  assert.throws(
    () => parseDataSummary(bad, "data_summary.json of x@1"),
    (e) => e instanceof MmmlError && /data_summary\.json of x@1: .*count each class once/.test(e.message),
  );
});
