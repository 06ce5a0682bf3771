import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { parseCsvText, readCsv } from "./csv_adapter.ts";
import { inferColumnTypes, inspectColumn } from "./type_inference.ts";

const fixture = (name: string) => new URL(`../../fixtures/csv/${name}`, import.meta.url).pathname;

function assertThrowsMmml(fn: () => unknown, code: string, fragments: string[]): MmmlError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof MmmlError, `expected an MmmlError, got ${caught}`);
  assert.equal(caught.code, code);
  for (const f of fragments) assert.ok(caught.message.includes(f), `"${caught.message}" lacks "${f}"`);
  return caught;
}

Deno.test("inferColumnTypes tells numeric, boolean and categorical columns apart", async () => {
  const table = await readCsv(fixture("mixed_types.csv"));
  const types = inferColumnTypes(table, { label: "species" });
  assert.deepEqual([...types], [
    ["height", "numeric"], // NaN, NA and empty are missing, -3e2 is a number
    ["flag", "boolean"], // yes/no/true/false in any case
    ["bit", "numeric"], // 0/1 stays numeric
    ["color", "categorical"],
    ["short", "categorical"], // y/n are not inferred as boolean
  ]);
});

Deno.test("inferColumnTypes leaves out the label and dropped columns", async () => {
  const table = await readCsv(fixture("mixed_types.csv"));
  const types = inferColumnTypes(table, { label: "species", dropColumns: ["color", "bit"] });
  assert.deepEqual([...types.keys()], ["height", "flag", "short"]);
});

Deno.test("inferColumnTypes reports text in a mostly numeric column with file, line, column and value", async () => {
  const table = await readCsv(fixture("text_in_numeric.csv"));
  const err = assertThrowsMmml(() => inferColumnTypes(table, { label: "species" }), "invalid_input", [
    'text_in_numeric.csv line 11, column "weight"',
    'expected a number, received "heavy"',
    "90.9% of the column's values are numbers",
    "data.column_types: { weight: categorical }",
  ]);
  assert.deepEqual(err.details, { line: 11, column: "weight", value: "heavy" });
});

Deno.test("inferColumnTypes accepts text in a numeric column once it is declared categorical", async () => {
  const table = await readCsv(fixture("text_in_numeric.csv"));
  const types = inferColumnTypes(table, { label: "species", overrides: { weight: "categorical" } });
  assert.equal(types.get("weight"), "categorical");
  assert.equal(types.get("id"), "numeric");
});

Deno.test("inferColumnTypes treats a column with enough text as categorical", () => {
  const table = parseCsvText("code\n1\n2\nA7\n3\nB2\n", "codes.csv");
  assert.equal(inferColumnTypes(table).get("code"), "categorical");
});

Deno.test("inferColumnTypes rejects infinity in a numeric column", async () => {
  const table = await readCsv(fixture("infinite.csv"));
  assertThrowsMmml(() => inferColumnTypes(table, { label: "species" }), "invalid_input", [
    'infinite.csv line 3, column "x"',
    'expected a finite number, received "inf"',
  ]);
});

Deno.test("inferColumnTypes checks cells against a type declared in config", () => {
  const table = parseCsvText("a,b,c\n1,yes,x\n2,maybe,y\nz,0,w\n", "declared.csv");
  assertThrowsMmml(() => inferColumnTypes(table, { overrides: { a: "numeric" } }), "invalid_input", [
    'declared.csv line 4, column "a"',
    'received "z"',
    'data.column_types declares "a" numeric',
  ]);
  assertThrowsMmml(
    () => inferColumnTypes(table, { overrides: { a: "categorical", b: "boolean" } }),
    "invalid_input",
    ['declared.csv line 3, column "b"', "expected a boolean", 'received "maybe"'],
  );
});

Deno.test("inferColumnTypes lets a declared boolean column use 1/0 and y/n", () => {
  const table = parseCsvText("a,b\n1,y\n0,N\n,t\n", "bools.csv");
  const types = inferColumnTypes(table, { overrides: { a: "boolean", b: "boolean" } });
  assert.deepEqual([...types.values()], ["boolean", "boolean"]);
});

Deno.test("inferColumnTypes rejects a declared type for a column the file lacks", () => {
  const table = parseCsvText("a,b\n1,2\n", "t.csv");
  assertThrowsMmml(() => inferColumnTypes(table, { overrides: { nope: "numeric" } }), "invalid_input", [
    '"nope"',
    "t.csv",
    "a, b",
  ]);
});

Deno.test("inspectColumn returns the problem instead of throwing", () => {
  const table = parseCsvText("x\n1\n2\n3\n4\n5\n6\n7\n8\n9\noops\n", "p.csv");
  const result = inspectColumn(table, "x");
  assert.equal(result.type, "numeric");
  assert.ok(result.problem?.message.includes('p.csv line 11, column "x"'));
});

Deno.test("inspectColumn calls an all-missing column numeric", () => {
  const table = parseCsvText("x,y\n,1\nNA,2\n", "m.csv");
  assert.deepEqual(inspectColumn(table, "x"), { type: "numeric" });
});
