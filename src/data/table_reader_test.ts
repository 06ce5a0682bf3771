import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import { MmmlError } from "../errors.ts";
import { parseCsvText } from "./csv_adapter.ts";
import { readTable, tableFormat } from "./table_reader.ts";
import { cellRef } from "./table.ts";
import { csvToJsonLines, csvToParquet } from "../../testing/table_files.ts";

const CSV = "id,x,colour,sold,y\n1,0.5,red,2024-03-05,10\n2,,blue,2024-03-06,11.5\n3,-2,,2024-03-07,12\n";
const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("Parquet, JSON lines and CSV of the same rows read into the same cells", async () => {
  const csv = parseCsvText(CSV, "t.csv");
  const parquet = await readTable({ file: "t.parquet", bytes: csvToParquet(CSV) });
  const jsonl = await readTable({ file: "t.jsonl", bytes: bytes(csvToJsonLines(CSV)) });
  for (const table of [parquet, jsonl]) {
    assert.deepEqual(table.header, csv.header);
    assert.equal(table.rowCount, 3);
    for (const name of csv.header) assert.deepEqual(table.columns.get(name), csv.columns.get(name), name);
  }
  assert.equal(cellRef(parquet, 1, "x"), 't.parquet row 2, column "x"');
  assert.equal(cellRef(jsonl, 1, "x"), 't.jsonl line 2, column "x"');
});

Deno.test("Parquet values become cell text: integers, 32-bit floats, booleans, dates and timestamps", async () => {
  const file = new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "big", data: [9007199254740993n, -1n], type: "INT64" },
      { name: "f", data: [0.1, 2.5], type: "FLOAT" },
      { name: "ok", data: [true, null], type: "BOOLEAN" },
      {
        name: "at",
        data: [new Date("2024-03-05T00:00:00Z"), new Date("2024-03-05T10:11:12Z")],
        type: "TIMESTAMP",
      },
    ],
  }));
  const table = await readTable({ file: "v.parquet", bytes: file });
  assert.deepEqual(table.columns.get("big"), ["9007199254740993", "-1"]);
  assert.deepEqual(table.columns.get("f"), ["0.1", "2.5"]);
  assert.deepEqual(table.columns.get("ok"), ["true", null]);
  assert.deepEqual(table.columns.get("at"), ["2024-03-05", "2024-03-05T10:11:12.000Z"]);
});

Deno.test("gzip- and zstd-compressed Parquet pages read like snappy ones", async () => {
  for (const [codec, compress] of [["GZIP", gzipSync], ["ZSTD", zstdCompressSync]] as const) {
    const file = new Uint8Array(parquetWriteBuffer({
      columnData: [{ name: "x", data: [1.5, 2.5, 3.5], type: "DOUBLE" }],
      codec,
      compressors: { [codec]: (input: Uint8Array) => new Uint8Array(compress(input)) },
    }));
    const table = await readTable({ file: "z.parquet", bytes: file });
    assert.deepEqual(table.columns.get("x"), ["1.5", "2.5", "3.5"], codec);
  }
});

Deno.test("a nested Parquet column is refused by name, unless the caller does not read it", async () => {
  const file = new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "x", data: [1, 2], type: "DOUBLE" },
      { name: "tags", data: [{ a: 1 }, { b: [2] }], type: "VARIANT" },
      { name: "meta", data: [{ a: 1 }, null], type: "JSON" },
    ],
  }));
  await assert.rejects(
    readTable({ file: "n.parquet", bytes: file }),
    (err: MmmlError) =>
      err.code === "invalid_input" && /n\.parquet: column "tags" is nested/.test(err.message),
  );
  await assert.rejects(
    readTable({ file: "n.parquet", bytes: file }, { reads: (c) => c !== "tags" }),
    /column "meta" is nested \(row 1 holds an object\)/,
  );
  const table = await readTable({ file: "n.parquet", bytes: file }, { reads: (c) => c === "x" });
  assert.deepEqual(table.header, ["x"]);
  assert.deepEqual([...table.omitted ?? []].sort(), ["meta", "tags"]);
});

Deno.test("a damaged Parquet file is named as such", async () => {
  const good = csvToParquet(CSV);
  const cut = new Uint8Array([...good.subarray(0, 40), ...good.subarray(good.length - 8)]);
  await assert.rejects(readTable({ file: "cut.parquet", bytes: cut }), /cut\.parquet: cannot read Parquet/);
});

Deno.test("JSON lines: missing keys are missing cells, blank lines are skipped, an array of objects reads too", async () => {
  const text = '{"a": 1, "b": "x"}\n\n{"b": null, "c": true}\n';
  const table = await readTable({ file: "j.jsonl", bytes: bytes(text) });
  assert.deepEqual(table.header, ["a", "b", "c"]);
  assert.deepEqual(table.columns.get("a"), ["1", null]);
  assert.deepEqual(table.columns.get("b"), ["x", null]);
  assert.deepEqual(table.columns.get("c"), [null, "true"]);
  assert.deepEqual(table.lines, [1, 3]);
  const array = await readTable({ file: "j.json", bytes: bytes('[{"a": 1}, {"a": 2}]') });
  assert.deepEqual(array.columns.get("a"), ["1", "2"]);
});

Deno.test("bad JSON lines: an empty file, a broken line, a line that is no object, a nested value", async () => {
  const read = (text: string) => readTable({ file: "bad.jsonl", bytes: bytes(text) });
  await assert.rejects(read(""), /bad\.jsonl is empty; expected JSON lines: one object per line/);
  await assert.rejects(read("\n  \n"), /bad\.jsonl is empty/);
  await assert.rejects(read('{"a": 1}\n{"a": 2,\n'), /bad\.jsonl line 2: not valid JSON/);
  await assert.rejects(read('{"a": 1}\n[1, 2]\n'), /bad\.jsonl line 2: expected a JSON object/);
  await assert.rejects(
    read('{"a": 1}\n{"a": {"b": 2}}\n'),
    /column "a" is nested \(line 2 holds an object\)/,
  );
  const left = await readTable({ file: "ok.jsonl", bytes: bytes('{"a": 1, "b": [1]}\n') }, {
    reads: (c) => c === "a",
  });
  assert.deepEqual(left.header, ["a"]);
  assert.deepEqual(left.omitted, ["b"]);
});

Deno.test("the format comes from the Parquet magic, else the name, else (standard input) the first character", () => {
  const parquet = csvToParquet(CSV);
  assert.equal(tableFormat("data.csv", parquet), "parquet");
  assert.equal(tableFormat("rows.ndjson", bytes("{}")), "jsonl");
  assert.equal(tableFormat("rows.txt", bytes('{"a": 1}')), "csv");
  assert.equal(tableFormat("stdin", bytes(' \n{"a": 1}'), true), "jsonl");
  assert.equal(tableFormat("stdin", bytes("a,b\n1,2\n"), true), "csv");
});

Deno.test("a missing file and a folder are named with what was expected", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      readTable(join(dir, "none.parquet")),
      /Cannot read ".*none\.parquet": file not found/,
    );
    await assert.rejects(readTable(dir), /expected a regular file, received a folder/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("na_values apply to every format", async () => {
  const text = '{"a": "?"}\n{"a": "3"}\n';
  const table = await readTable({ file: "na.jsonl", bytes: bytes(text) }, { naValues: ["?"] });
  assert.deepEqual(table.columns.get("a"), [null, "3"]);
});
