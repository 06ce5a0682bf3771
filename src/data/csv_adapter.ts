/**
 * Reads a delimited text file into a column-oriented RawTable: a header row, quoted fields (with
 * embedded delimiters, quotes and newlines), a UTF-8 BOM, CRLF or LF line ends, and "," ";" or tab
 * delimiters, detected from the first lines when not given. Empty cells become null (missing).
 */
import { parse } from "csv-parse/sync";
import type { DataConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import { type RecordSink, scanCsvRecords } from "./csv_records.ts";
import type { RawTable } from "./table.ts";

export type Delimiter = DataConfig["delimiter"];
type ConcreteDelimiter = Exclude<Delimiter, "auto">;

/** Delimiters tried by auto-detection; on a tie the earlier one wins. */
export const DELIMITER_CANDIDATES = [",", ";", "\t"] as const satisfies readonly ConcreteDelimiter[];

/** How much of the file auto-detection reads: enough for a header and several rows. */
const DETECT_SAMPLE_CHARS = 64 * 1024;
const DETECT_SAMPLE_RECORDS = 8;

export interface CsvOptions {
  delimiter?: Delimiter;
  /**
   * "auto" reads with the fast reader (csv_records.ts) and falls back to csv-parse for irregular quoting;
   * "csv-parse" always uses csv-parse (the tests compare the two).
   */
  reader?: "auto" | "csv-parse";
}

/** Reads and parses a CSV file; `path` is also the name used in error messages. */
export async function readCsv(path: string, { delimiter = "auto" }: CsvOptions = {}): Promise<RawTable> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `Cannot read CSV "${path}": file not found`, { cause: err });
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new MmmlError("invalid_input", `Cannot read CSV "${path}": expected a file, received a folder`, {
        cause: err,
      });
    }
    throw new MmmlError("invalid_input", `Cannot read CSV "${path}": ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseCsvText(text, path, { delimiter });
}

/** Parses CSV text already in memory; `file` names the source in error messages. */
export function parseCsvText(
  text: string,
  file: string,
  { delimiter = "auto", reader = "auto" }: CsvOptions = {},
): RawTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // csv-parse counts a CRLF inside a quoted field as two lines, which would skew every later line
  // number; with LF only its line count is exact. Quoted CRLFs become LF, as most readers do.
  if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
  if (text.trim() === "") {
    throw new MmmlError("invalid_input", `${file} is empty; expected a header row and at least one data row`);
  }
  const sep = delimiter === "auto" ? detectDelimiter(text) : delimiter;

  let header: string[] | undefined;
  let headerLine = 1;
  let columns: (string | null)[][] = [];
  let lines: number[] = [];
  const onRecord = (record: string[], start: number) => {
    if (header === undefined) {
      header = checkHeader(record, file, start);
      headerLine = start;
      columns = header.map(() => []);
      return;
    }
    if (record.length !== header.length) {
      throw new MmmlError(
        "invalid_input",
        `${file} line ${start}: expected ${header.length} fields (as in the header on line ${headerLine}), ` +
          `received ${record.length}` + delimiterHint(sep, delimiter),
        { details: { line: start, expected: header.length, received: record.length } },
      );
    }
    for (let c = 0; c < record.length; c++) {
      const cell = record[c];
      columns[c].push(cell === "" ? null : cell);
    }
    lines.push(start);
  };
  if (reader === "csv-parse" || !scanCsvRecords(text, sep, onRecord)) {
    header = undefined;
    columns = [];
    lines = [];
    parseWithCsvParse(text, file, sep, onRecord);
  }
  if (header === undefined) {
    throw new MmmlError("invalid_input", `${file} is empty; expected a header row and at least one data row`);
  }
  if (lines.length === 0) {
    throw new MmmlError(
      "invalid_input",
      `${file} has a header (line ${headerLine}) but no data rows; expected at least one data row`,
    );
  }
  const h: string[] = header;
  const byName = new Map<string, (string | null)[]>(h.map((name, i) => [name, columns[i]]));
  return { file, header: h, columns: byName, rowCount: lines.length, lines };
}

/** Reads the text with csv-parse (relaxed quotes), handing each record and its first line to onRecord. */
function parseWithCsvParse(text: string, file: string, sep: string, onRecord: RecordSink): void {
  let lastEnd = 0;
  try {
    parse(text, {
      delimiter: sep,
      record_delimiter: "\n",
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      on_record: (record: string[], ctx: { lines: number }) => {
        // ctx.lines is the line where the record ends; a record spans several lines only when a quoted
        // field holds newlines, so count those only when the gap says there are some.
        let start = ctx.lines;
        if (ctx.lines > lastEnd + 1) {
          for (const field of record) start -= countNewlines(field);
        }
        lastEnd = ctx.lines;
        onRecord(record, start);
        return null;
      },
    });
  } catch (err) {
    if (err instanceof MmmlError) throw err;
    // csv-parse's own message already names the line where it gave up.
    throw new MmmlError("invalid_input", `${file}: cannot parse CSV: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Picks the delimiter that splits the header into the most fields while the next lines split into the
 * same number; quotes are honoured so a comma inside a quoted name does not count.
 */
export function detectDelimiter(text: string): ConcreteDelimiter {
  const records = sampleRecords(text);
  let best: ConcreteDelimiter = ",";
  let bestFields = 1;
  let bestConsistent = false;
  for (const candidate of DELIMITER_CANDIDATES) {
    const counts = records.map((r) => countFields(r, candidate));
    const fields = counts[0] ?? 1;
    const consistent = counts.every((n) => n === fields);
    // A consistent split beats any inconsistent one; among equals, more fields wins.
    const better = consistent && !bestConsistent
      ? fields > 1
      : consistent === bestConsistent && fields > bestFields;
    if (better) {
      best = candidate;
      bestFields = fields;
      bestConsistent = consistent;
    }
  }
  return best;
}

/** The first few records of the text (split at newlines outside quotes), skipping blank lines. */
function sampleRecords(text: string): string[] {
  const sample = text.slice(0, DETECT_SAMPLE_CHARS);
  const records: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < sample.length && records.length < DETECT_SAMPLE_RECORDS; i++) {
    const ch = sample.charCodeAt(i);
    if (ch === 34 /* " */) inQuotes = !inQuotes;
    else if (ch === 10 /* \n */ && !inQuotes) {
      if (i > start) records.push(sample.slice(start, i));
      start = i + 1;
    }
  }
  // The last record is whole only when the sample is the whole text.
  if (records.length < DETECT_SAMPLE_RECORDS && sample.length === text.length && start < sample.length) {
    const rest = sample.slice(start);
    if (rest.trim() !== "") records.push(rest);
  }
  return records;
}

function countFields(record: string, delimiter: string): number {
  const d = delimiter.charCodeAt(0);
  let n = 1;
  let inQuotes = false;
  for (let i = 0; i < record.length; i++) {
    const ch = record.charCodeAt(i);
    if (ch === 34) inQuotes = !inQuotes;
    else if (ch === d && !inQuotes) n++;
  }
  return n;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

function checkHeader(record: string[], file: string, line: number): string[] {
  const names = record.map((name) => name.trim());
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === "") {
      throw new MmmlError(
        "invalid_input",
        `${file} line ${line}: column ${i + 1} of the header has an empty name; every column needs a name`,
      );
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw new MmmlError(
        "invalid_input",
        `${file} line ${line}: duplicate column name "${name}" (columns ${first + 1} and ${i + 1}); ` +
          `column names must be unique`,
      );
    }
    seen.set(name, i);
  });
  return names;
}

function delimiterHint(sep: ConcreteDelimiter, requested: Delimiter): string {
  const shown = sep === "\t" ? "tab" : `"${sep}"`;
  return requested === "auto"
    ? ` (delimiter ${shown} was detected; set data.delimiter if that is wrong)`
    : ` (delimiter ${shown})`;
}
