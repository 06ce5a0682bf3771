import assert from "node:assert/strict";
import { parseCsvText } from "./csv_adapter.ts";
import { MmmlError } from "../errors.ts";
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

Deno.test("a numeric label with a stray text cell is an error naming it, not hundreds of classes", () => {
  const many = Array.from({ length: 300 }, (_, i) => String(25 + (i % 214)));
  many[4] = "abc";
  assert.throws(
    () => inferProblemType(column(many), "y"),
    (e) =>
      e instanceof MmmlError &&
      /^t\.csv line 6, column "y": expected a number, received "abc"; the label is otherwise numbers \(299 of 300/
        .test(e.message) &&
      /data\.na_values .* --problem-type classification/.test(e.message),
  );
  // Class names that happen to include numbers stay classes: few distinct numbers, or much text.
  assert.equal(
    inferProblemType(column([...Array(30).fill("1"), ...Array(30).fill("2"), "other"]), "y").type,
    "classification",
  );
  assert.equal(
    inferProblemType(column(["10.5", "11.5", "12.5", "n/a", "x", "y"]), "y").type,
    "classification",
  );
});
