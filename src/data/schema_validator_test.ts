import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { parseCsvText } from "./csv_adapter.ts";
import type { DataSchema } from "./data_schema.ts";
import { validateTable } from "./schema_validator.ts";

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

const schema: DataSchema = {
  label: "species",
  classes: ["a", "b"],
  columns: [
    { name: "mass", type: "numeric", nullable: false, required: true },
    { name: "island", type: "categorical", nullable: true, required: true, categories: ["x", "y"] },
    { name: "male", type: "boolean", nullable: true, required: true, categories: ["false", "true"] },
    { name: "note", type: "numeric", nullable: true, required: false },
  ],
};

Deno.test("validateTable accepts rows that fit the schema, in any column order", () => {
  const t = parseCsvText("male,island,mass,species\nyes,x,3.5,a\n0,z,NaN,b\n,,4,a\n", "ok.csv");
  validateTable(t, schema, { requireLabel: true });
});

Deno.test("validateTable names every missing required column and lists the available ones", () => {
  const t = parseCsvText("island,other\nx,1\n", "few.csv");
  const err = assertThrowsMmml(() => validateTable(t, schema), "schema_mismatch", [
    'few.csv: required columns "mass", "male" are missing',
    "available columns: island, other",
  ]);
  assert.deepEqual(err.details?.missing, ["mass", "male"]);
});

Deno.test("validateTable requires the label only when asked", () => {
  const t = parseCsvText("mass,island,male\n1,x,no\n", "nolabel.csv");
  validateTable(t, schema);
  assertThrowsMmml(() => validateTable(t, schema, { requireLabel: true }), "schema_mismatch", [
    'nolabel.csv: required column "species" is missing',
  ]);
});

Deno.test("validateTable rejects extra columns when they are not allowed", () => {
  const t = parseCsvText("mass,island,male,species,extra\n1,x,no,a,9\n", "extra.csv");
  validateTable(t, schema);
  assertThrowsMmml(() => validateTable(t, schema, { allowExtraColumns: false }), "schema_mismatch", [
    'extra.csv: unexpected column "extra"',
    "mass, island, male, note, species",
  ]);
});

Deno.test("validateTable names the line, column and value of text in a numeric column", () => {
  const t = parseCsvText('mass,island,male\n1,x,no\n"two\nkilos",x,no\n3,y,yes\nlots,y,no\n', "text.csv");
  const err = assertThrowsMmml(() => validateTable(t, schema), "validation_failed", [
    'text.csv line 3, column "mass": expected a number, received "two\\nkilos" (1 more in this column)',
  ]);
  assert.deepEqual(err.details, { line: 3, column: "mass", value: "two\nkilos", count: 2 });
});

Deno.test("validateTable rejects infinity in a numeric column", () => {
  const t = parseCsvText("mass,island,male\n-Infinity,x,no\n", "inf.csv");
  assertThrowsMmml(() => validateTable(t, schema), "validation_failed", [
    'inf.csv line 2, column "mass": expected a finite number, received "-Infinity"',
  ]);
});

Deno.test("validateTable rejects a non-boolean in a boolean column", () => {
  const t = parseCsvText("mass,island,male\n1,x,maybe\n", "bool.csv");
  assertThrowsMmml(() => validateTable(t, schema), "validation_failed", [
    'bool.csv line 2, column "male": expected a boolean',
    'received "maybe"',
  ]);
});

Deno.test("validateTable allows missing cells in a non-nullable column unless told to enforce it", () => {
  const t = parseCsvText("mass,island,male\n1,x,no\n,y,yes\n", "gaps.csv");
  validateTable(t, schema);
  assertThrowsMmml(() => validateTable(t, schema, { enforceNullable: true }), "validation_failed", [
    'gaps.csv line 3, column "mass": expected a value',
    "received an empty cell",
  ]);
});

Deno.test("validateTable checks an optional column only when it is present", () => {
  validateTable(parseCsvText("mass,island,male\n1,x,no\n", "a.csv"), schema);
  assertThrowsMmml(
    () => validateTable(parseCsvText("mass,island,male,note\n1,x,no,n/a\n", "b.csv"), schema),
    "validation_failed",
    [
      'b.csv line 2, column "note": expected a number, received "n/a"',
    ],
  );
});
