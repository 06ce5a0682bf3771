import assert from "node:assert/strict";
import { parseCsvText } from "./csv_adapter.ts";
import { inferProblemType } from "./problem_type.ts";

const column = (values: (string | number)[]) => parseCsvText(`y\n${values.join("\n")}\n`, "t.csv");

Deno.test("inferProblemType follows AutoGluon: fractions or many whole numbers are a regression", () => {
  assert.equal(inferProblemType(column(["a", "b", "a"]), "y").type, "classification");
  assert.equal(inferProblemType(column([0, 1, 1, 0]), "y").type, "classification");
  assert.equal(inferProblemType(column([1.5, 2, 3, 4]), "y").type, "regression");
  // Diabetes-like: 214 distinct whole numbers in 442 rows.
  const many = Array.from({ length: 442 }, (_, i) => 25 + (i % 214));
  const diabetes = inferProblemType(column(many), "y");
  assert.equal(diabetes.type, "regression");
  assert.match(diabetes.reason, /many distinct values \(214 in 442 rows\)/);
  // Wine-quality-like: 6 grades in 1,000 rows.
  const grades = Array.from({ length: 1000 }, (_, i) => 3 + (i % 6));
  assert.equal(inferProblemType(column(grades), "y").type, "classification");
  // Past 1,000 rows the share of distinct values must stay under 5%.
  const big = Array.from({ length: 2000 }, (_, i) => i % 150);
  assert.equal(inferProblemType(column(big), "y").type, "regression");
});
