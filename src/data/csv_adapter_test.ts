import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { detectDelimiter, parseCsvText, readCsv } from "./csv_adapter.ts";

const FIXTURES = new URL("../../fixtures/csv/", import.meta.url);
const fixture = (name: string) => new URL(name, FIXTURES).pathname;

/** Asserts that `fn` rejects with an MmmlError of `code` whose message contains every fragment. */
async function assertMmmlError(fn: () => unknown, code: string, fragments: string[]): Promise<MmmlError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof MmmlError, `expected an MmmlError, got ${caught}`);
  assert.equal(caught.code, code);
  for (const f of fragments) assert.ok(caught.message.includes(f), `"${caught.message}" lacks "${f}"`);
  return caught;
}

Deno.test("CsvAdapter strips a UTF-8 BOM and reads CRLF lines with a quoted newline", async () => {
  const t = await readCsv(fixture("bom_crlf.csv"));
  assert.deepEqual(t.header, ["id", "color", "size"]);
  assert.equal(t.rowCount, 3);
  assert.deepEqual(t.columns.get("color"), ["red", "blue\ngreen", null]);
  assert.deepEqual(t.columns.get("size"), ["3.5", "4", "5"]);
  assert.deepEqual(t.lines, [2, 3, 5]);
});

Deno.test("CsvAdapter detects a semicolon delimiter despite commas inside quoted fields", async () => {
  const t = await readCsv(fixture("semicolon.csv"));
  assert.deepEqual(t.header, ["name", "score", "passed"]);
  assert.deepEqual(t.columns.get("name"), ["Smith, J", "Lee"]);
  assert.deepEqual(t.columns.get("score"), ["1.5", "2"]);
});

Deno.test("CsvAdapter detects a tab delimiter", async () => {
  const t = await readCsv(fixture("tab.tsv"));
  assert.deepEqual(t.header, ["a", "b", "c"]);
  assert.deepEqual(t.columns.get("b"), ["x", "y"]);
});

Deno.test("CsvAdapter honours an explicit delimiter over detection", () => {
  const t = parseCsvText("a;b,c\n1;2,3\n", "x.csv", { delimiter: "," });
  assert.deepEqual(t.header, ["a;b", "c"]);
  assert.deepEqual(t.columns.get("a;b"), ["1;2"]);
});

Deno.test("CsvAdapter reports the starting line of rows after quoted newlines", async () => {
  const t = await readCsv(fixture("quoted_newlines.csv"));
  assert.equal(t.rowCount, 4);
  assert.deepEqual(t.columns.get("note"), ["line one\nline two", 'say "hi"', "a\nb\nc", "plain"]);
  assert.deepEqual(t.lines, [2, 4, 5, 8]);
});

Deno.test("CsvAdapter treats empty cells as missing and skips blank lines while counting them", () => {
  const t = parseCsvText('a,b\n1,\n\n,""\n3,4', "m.csv");
  assert.deepEqual(t.columns.get("a"), ["1", null, "3"]);
  assert.deepEqual(t.columns.get("b"), [null, null, "4"]);
  assert.deepEqual(t.lines, [2, 4, 5]);
});

Deno.test("CsvAdapter trims header names", () => {
  const t = parseCsvText("a , b\n1,2\n", "h.csv");
  assert.deepEqual(t.header, ["a", "b"]);
});

Deno.test("CsvAdapter names the path of a missing file", async () => {
  await assertMmmlError(() => readCsv("/nonexistent/data.csv"), "file_not_found", [
    '"/nonexistent/data.csv"',
    "file not found",
  ]);
});

Deno.test("CsvAdapter rejects an empty file", async () => {
  await assertMmmlError(() => readCsv(fixture("empty.csv")), "invalid_input", ["empty.csv", "is empty"]);
  await assertMmmlError(() => parseCsvText("\n\n  \n", "blank.csv"), "invalid_input", ["blank.csv is empty"]);
});

Deno.test("CsvAdapter rejects a file with a header but no data rows", async () => {
  await assertMmmlError(() => readCsv(fixture("header_only.csv")), "invalid_input", [
    "header_only.csv",
    "no data rows",
  ]);
});

Deno.test("CsvAdapter names the line and field counts of a ragged row", async () => {
  const err = await assertMmmlError(() => readCsv(fixture("ragged.csv")), "invalid_input", [
    "ragged.csv line 4",
    "expected 3 fields",
    "received 2",
  ]);
  assert.deepEqual(err.details, { line: 4, expected: 3, received: 2 });
});

Deno.test("CsvAdapter counts a ragged row's line from its start when quotes span lines", async () => {
  await assertMmmlError(() => parseCsvText('a,b\n"x\ny",1\n"p\nq"\n', "r.csv"), "invalid_input", [
    "r.csv line 4:",
    "expected 2 fields",
    "received 1",
  ]);
});

Deno.test("CsvAdapter rejects duplicate and empty header names", async () => {
  await assertMmmlError(() => readCsv(fixture("duplicate_header.csv")), "invalid_input", [
    "duplicate_header.csv line 1",
    'duplicate column name "a"',
    "columns 1 and 3",
  ]);
  await assertMmmlError(() => readCsv(fixture("empty_header.csv")), "invalid_input", [
    "empty_header.csv line 1",
    "column 2 of the header has an empty name",
  ]);
});

Deno.test("CsvAdapter reports an unclosed quote with its file", async () => {
  await assertMmmlError(() => parseCsvText('a,b\n1,"open\n2,3\n', "q.csv"), "invalid_input", [
    "q.csv",
    "cannot parse CSV",
  ]);
});

Deno.test("detectDelimiter prefers the split that is consistent across lines", () => {
  assert.equal(detectDelimiter("a,b,c\n1,2,3\n"), ",");
  assert.equal(detectDelimiter("a;b\n1,5;2\n3,5;4\n"), ";");
  assert.equal(detectDelimiter("a\tb\n1\t2\n"), "\t");
  assert.equal(detectDelimiter("single\n1\n2\n"), ",");
  assert.equal(detectDelimiter('"x;y",b\n1,2\n'), ",");
});
