import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { parseCsvText } from "./csv_adapter.ts";
import { dateFormatsOf, datePart, parseDate } from "./dates.ts";
import { inferColumnTypes } from "./type_inference.ts";
import { withMissing } from "./table.ts";

Deno.test("parseDate reads ISO 8601, day-first and year/month/day dates, and refuses impossible ones", () => {
  const t = parseDate("2024-03-05", "iso");
  assert.equal(t, Date.UTC(2024, 2, 5));
  assert.equal(parseDate("05/03/2024", "dmy"), t);
  assert.equal(parseDate("05.03.2024 14:30", "dmy"), Date.UTC(2024, 2, 5, 14, 30));
  assert.equal(parseDate("2024/03/05", "ymd_slash"), t);
  assert.equal(parseDate("2024-03-05T23:30:00-02:00", "iso"), Date.UTC(2024, 2, 6, 1, 30));
  assert.ok(Number.isNaN(parseDate("2023-02-29", "iso")), "not a leap year");
  assert.ok(Number.isNaN(parseDate("12/25/2024", "dmy")), "month first is not day first");
  assert.deepEqual(dateFormatsOf(["2024-01-02", null, "2024-12-31"]), ["iso"]);
});

Deno.test("a date becomes year, month, day, weekday (Monday 0) and day of year", () => {
  const t = parseDate("2024-03-05", "iso"); // a Tuesday, day 65 of a leap year
  assert.deepEqual(
    (["year", "month", "day", "weekday", "yearday"] as const).map((p) => datePart(t, p)),
    [2024, 3, 5, 1, 65],
  );
});

Deno.test("a date column is inferred, and one with mixed formats is an error naming the cell", () => {
  const good = parseCsvText("d,x\n2024-01-02,1\n2024-02-03,2\n,3\n", "ok.csv");
  assert.equal(inferColumnTypes(good).get("d"), "date");
  const rows = Array.from({ length: 20 }, (_, i) => `2024-01-${String(i + 1).padStart(2, "0")},${i}`);
  rows[7] = `08/01/2024,7`;
  const mixed = parseCsvText(`d,x\n${rows.join("\n")}\n`, "mixed.csv");
  assert.throws(
    () => inferColumnTypes(mixed),
    (e) =>
      e instanceof MmmlError &&
      /^mixed\.csv line 9, column "d": expected a date in the column's format \(ISO 8601, like 2024-03-05\)/
        .test(e.message) &&
      e.message.includes('received "08/01/2024"'),
  );
});

Deno.test("withMissing makes the configured spellings missing (data.na_values)", () => {
  const t = withMissing(parseCsvText("a,b\n?,1\nx,-\n", "t.csv"), ["?", "-"]);
  assert.deepEqual(t.columns.get("a"), [null, "x"]);
  assert.deepEqual(t.columns.get("b"), ["1", null]);
});
