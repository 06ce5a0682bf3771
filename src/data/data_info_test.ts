import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { parseCsvText, readCsv } from "./csv_adapter.ts";
import { formatDataInfo, summarizeTable } from "./data_info.ts";

const fixture = (name: string) => new URL(`../../fixtures/csv/${name}`, import.meta.url).pathname;

Deno.test("summarizeTable reports types, missing and distinct counts, ranges and top values", async () => {
  const info = summarizeTable(await readCsv(fixture("mixed_types.csv")), { label: "species", topK: 2 });
  assert.equal(info.rows, 6);
  assert.equal(info.label, "species");
  assert.deepEqual(info.classBalance, { a: 3, b: 3 });
  const byName = Object.fromEntries(info.columns.map((c) => [c.name, c]));
  // height: 1.5, 2, -300 (NaN, empty and NA are missing)
  const h = byName.height;
  assert.equal(h.type, "numeric");
  assert.equal(h.missing, 3);
  assert.equal(h.distinct, 3);
  assert.equal(h.min, -300);
  assert.equal(h.max, 2);
  assert.ok(Math.abs(h.mean! - (-296.5 / 3)) < 1e-12);
  const mean = -296.5 / 3;
  const sd = Math.sqrt(((1.5 - mean) ** 2 + (2 - mean) ** 2 + (-300 - mean) ** 2) / 2);
  assert.ok(Math.abs(h.std! - sd) < 1e-9);
  assert.deepEqual(byName.flag, {
    name: "flag",
    role: "feature",
    type: "boolean",
    missing: 0,
    distinct: 2,
    top: [{ value: "false", count: 3 }, { value: "true", count: 3 }],
  });
  assert.deepEqual(byName.color.top, [{ value: "blue", count: 2 }, { value: "red", count: 2 }]);
  assert.equal(byName.color.missing, 1);
  assert.equal(byName.color.distinct, 3);
  assert.equal(byName.species.role, "label");
  assert.equal(byName.species.type, "categorical");
});

Deno.test("summarizeTable reports text in a numeric column as a warning instead of failing", async () => {
  const info = summarizeTable(await readCsv(fixture("text_in_numeric.csv")));
  const weight = info.columns.find((c) => c.name === "weight")!;
  assert.equal(weight.type, "numeric");
  assert.equal(weight.distinct, 10);
  assert.ok(weight.warning?.includes('line 11, column "weight"'));
  assert.equal(info.classBalance, undefined);
});

Deno.test("summarizeTable names an absent label column", () => {
  const t = parseCsvText("a,b\n1,2\n", "t.csv");
  assert.throws(
    () => summarizeTable(t, { label: "y" }),
    (err) => err instanceof MmmlError && err.message.includes('label column "y" not found'),
  );
});

Deno.test("formatDataInfo lays out columns, class balance and warnings as text", () => {
  const t = parseCsvText("x,kind,y\n1,p,a\n2,q,a\n,p,b\n1,p,a\n", "small.csv");
  const text = formatDataInfo(summarizeTable(t, { label: "y" }));
  assert.equal(
    text,
    [
      "small.csv: 4 rows, 3 columns (label: y)",
      "",
      "column     type           missing  distinct  summary",
      "x          numeric      1 (25.0%)         2  min 1, max 2, mean 1.333, std 0.5774",
      "kind       categorical          0         2  p 3, q 1",
      "y (label)  categorical          0         2  a 3, b 1",
      "",
      "class balance (y):",
      "  a  3  75.0%",
      "  b  1  25.0%",
      "",
    ].join("\n"),
  );
});
