import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { parseCsvText } from "./csv_adapter.ts";
import { encodeTargets, quantileBins } from "./target_encoding.ts";

const table = (text: string) => parseCsvText(text, "prices.csv");
const rejects = (fn: () => unknown, message: string) =>
  assert.throws(fn, (e) => e instanceof MmmlError && e.code === "invalid_input" && e.message === message);

Deno.test("encodeTargets reads numbers and names the line of text, a missing label and a constant target", () => {
  assert.deepEqual(Array.from(encodeTargets(table("x,y\n1,2.5\n2,-3\n"), "y")), [2.5, -3]);
  rejects(
    () => encodeTargets(table("x,y\n1,2.5\n2,cheap\n"), "y"),
    'prices.csv line 3, column "y": expected a number for the regression label, received text "cheap"',
  );
  rejects(
    () => encodeTargets(table("x,y\n1,\n2,3\n"), "y"),
    'prices.csv line 2, column "y": the regression label is missing; every training row needs a number',
  );
  rejects(
    () => encodeTargets(table("x,y\n1,7\n2,7\n3,7\n"), "y"),
    'prices.csv: label column "y" holds the same value (7) on every row; a regression needs a target that varies',
  );
  rejects(
    () => encodeTargets(table("x,Y\n1,7\n"), "y"),
    'prices.csv: label column "y" not found (did you mean --label Y?); available columns: x, Y',
  );
});

Deno.test("quantileBins puts each target in its decile, so a regression split can be stratified", () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  const bins = quantileBins(values);
  assert.equal(bins[99], 0, "the smallest value is in the first bin");
  assert.equal(bins[0], 9, "the largest in the last");
  assert.deepEqual([...new Set(bins)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
