/**
 * Reads JSON lines (one object per line, as `pandas.to_json(orient="records", lines=True)`, BigQuery and
 * most log pipelines write them) into a RawTable; a file holding one JSON array of such objects is read
 * the same way. Columns are the keys in the order first met; a key a row lacks is a missing cell. Values
 * become cell text as Parquet's do (cell_text.ts); a nested value (object, list) in a column the caller
 * reads is refused, naming the line and key.
 */
import { describeValue, MmmlError } from "../errors.ts";
import { cellText, isNested } from "./cell_text.ts";
import { nestedColumn } from "./parquet_reader.ts";
import type { RawTable } from "./table.ts";

export interface JsonLinesOptions {
  /** The columns the caller reads (default all): a nested one it does not read is left out, not refused. */
  reads?: (column: string) => boolean;
}

/** Parses JSON-lines text (or one JSON array of objects); `file` names it in messages. */
export function parseJsonLines(
  text: string,
  file: string,
  { reads = () => true }: JsonLinesOptions = {},
): RawTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const array = text.trimStart().startsWith("[");
  const records = array ? arrayRecords(text, file) : lineRecords(text, file);
  const position = array ? "row" : "line";
  if (records.length === 0) {
    throw new MmmlError(
      "invalid_input",
      `${file} is empty; expected JSON lines: one object per line, like {"age": 31, "city": "Oslo"}`,
    );
  }
  const columns = new Map<string, (string | null)[]>();
  const omitted = new Set<string>();
  const lines: number[] = [];
  records.forEach(({ value, line }, row) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new MmmlError(
        "invalid_input",
        `${file} ${position} ${line}: expected a JSON object ({"column": value, ...}), received ` +
          describeValue(value),
        { details: { line } },
      );
    }
    for (const [key, raw] of Object.entries(value)) {
      if (omitted.has(key)) continue;
      const cell = cellText(raw);
      if (isNested(cell)) {
        if (reads(key)) throw nestedColumn(file, key, `${position} ${line} holds ${cell.nested}`);
        omitted.add(key);
        columns.delete(key);
        continue;
      }
      let cells = columns.get(key);
      if (!cells) columns.set(key, cells = new Array<string | null>(row).fill(null));
      cells[row] = cell;
    }
    lines.push(line);
  });
  for (const cells of columns.values()) {
    for (let i = 0; i < records.length; i++) cells[i] ??= null;
  }
  const header = [...columns.keys()];
  return { file, header, columns, rowCount: records.length, lines, position, omitted: [...omitted] };
}

interface JsonRecord {
  value: unknown;
  line: number;
}

function lineRecords(text: string, file: string): JsonRecord[] {
  const records: JsonRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const source = lines[i].trim();
    if (source === "") continue;
    try {
      records.push({ value: JSON.parse(source), line: i + 1 });
    } catch (err) {
      throw new MmmlError(
        "invalid_input",
        `${file} line ${i + 1}: not valid JSON (${(err as Error).message}); expected one object per line`,
        { cause: err, details: { line: i + 1 } },
      );
    }
  }
  return records;
}

/** A JSON array of objects; each record's "line" is its 1-based position in the array. */
function arrayRecords(text: string, file: string): JsonRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new MmmlError("invalid_input", `${file}: not valid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (!Array.isArray(parsed)) {
    throw new MmmlError("invalid_input", `${file}: expected a JSON array of objects`);
  }
  return parsed.map((value, i) => ({ value, line: i + 1 }));
}
