import assert from "node:assert/strict";
import { parseCsvText } from "./csv_adapter.ts";
import { scanCsvRecords } from "./csv_records.ts";

/** The outcome of parseCsvText with one reader: the table's parts, or the error's message. */
function read(text: string, reader: "auto" | "csv-parse", delimiter: "," | ";" | "auto" = ",") {
  try {
    const t = parseCsvText(text, "t.csv", { delimiter, reader });
    return { header: t.header, columns: [...t.columns.entries()], lines: t.lines, rows: t.rowCount };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const CASES: Record<string, string> = {
  plain: "a,b,c\n1,2,3\n4,5,6\n",
  "no final newline": "a,b\n1,2\n3,4",
  "empty cells and trailing delimiter": "a,b,c\n1,,\n,2,\n",
  "blank lines between rows": "a,b\n\n1,2\n\n\n3,4\n\n",
  "spaces kept in cells, whitespace-only line": "a,b\n 1 , 2\n  \n",
  "quoted delimiter, quote and newline": 'a,b\n"x,y","say ""hi"""\n"multi\nline",2\n3,4\n',
  "quoted empty field": 'a,b\n"",1\n2,""\n',
  "quote inside an unquoted field": 'a,b\nab"c,1\n2,3\n',
  "text after a closing quote": 'a,b\n"ab"c,1\n',
  "unclosed quote": 'a,b\n"abc,1\n2,3\n',
  "ragged row after quoted newlines": 'a,b\n"1\n2",3\n4\n',
  "ragged plain row": "a,b\n1,2\n3\n",
  "semicolons with quoted commas": 'x;y\n"1,5";2\n3;"4;5"\n',
  "quoted header": '"a b","c,d"\n1,2\n',
  "header only": "a,b\n",
};

Deno.test("The fast CSV reader gives csv-parse's table, lines and errors on regular and irregular text", () => {
  const irregular = ["quote inside an unquoted field", "text after a closing quote", "unclosed quote"];
  for (const [name, text] of Object.entries(CASES)) {
    const delimiter = name.startsWith("semicolons") ? ";" : ",";
    // The regular cases must be read by the fast reader itself, not by the fallback.
    assert.equal(scanCsvRecords(text, delimiter, () => {}), !irregular.includes(name), name);
    assert.deepEqual(read(text, "auto", delimiter), read(text, "csv-parse", delimiter), name);
  }
});

Deno.test("The fast CSV reader hands irregular quoting back to csv-parse", () => {
  const seen: string[][] = [];
  assert.equal(scanCsvRecords('a,b\n"x""y",1\n', ",", (r) => seen.push(r)), true);
  assert.deepEqual(seen[1], ['x"y', "1"]);
  for (const text of ['a\nb"c\n', 'a\n"b"c\n', 'a\n"b\n']) {
    assert.equal(scanCsvRecords(text, ",", () => {}), false, JSON.stringify(text));
  }
});

Deno.test("The fast CSV reader matches csv-parse on generated rows with quotes, blanks and newlines", () => {
  let state = 12345;
  const rand = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const pieces = ["1", "2.5", "", "x y", '"q,1"', '"a""b"', '"l1\nl2"', " ", "-3e2", '""'];
  const lines = ["h1,h2,h3"];
  for (let r = 0; r < 400; r++) {
    if (rand() < 0.05) lines.push("");
    lines.push([0, 1, 2].map(() => pieces[Math.floor(rand() * pieces.length)]).join(","));
  }
  const text = lines.join("\n") + "\n";
  assert.equal(scanCsvRecords(text, ",", () => {}), true);
  const fast = read(text, "auto");
  assert.ok(!("error" in fast), JSON.stringify(fast).slice(0, 200));
  assert.deepEqual(fast, read(text, "csv-parse"));
});
