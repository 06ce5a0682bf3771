/**
 * Reads a data file into a RawTable, whatever its format, so training, evaluate, predict, `data info` and
 * the report accept the same files:
 * - Parquet (parquet_reader.ts), known by its first bytes `PAR1` whatever the file is called;
 * - JSON lines (json_lines_reader.ts): a `.jsonl`, `.ndjson` or `.json` file, or standard input that
 *   starts with `{` or `[`;
 * - anything else is CSV (or TSV; the delimiter is detected unless given).
 * The configured missing-value spellings (data.na_values) are then made missing.
 */
import { FILE_LIMITS, readFileBounded } from "../bounded_read.ts";
import { type Delimiter, parseCsvText } from "./csv_adapter.ts";
import { parseJsonLines } from "./json_lines_reader.ts";
import { PARQUET_MAGIC, parseParquet } from "./parquet_reader.ts";
import { type RawTable, withMissing } from "./table.ts";
import { MmmlError } from "../errors.ts";

/** The formats a table may come in. */
export const TABLE_FORMATS = ["csv", "parquet", "jsonl"] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

/** A file to read, or bytes already read (standard input) with the name messages give them. */
export type TableSource = string | { file: string; bytes: Uint8Array };

export interface ReadTableOptions {
  delimiter?: Delimiter;
  /** Cell texts that mean missing besides an empty cell. */
  naValues?: readonly string[];
  /**
   * The columns the caller reads (default all): a nested Parquet or JSON column it does not read is left
   * out of the table (listed in `omitted`) instead of refused.
   */
  reads?: (column: string) => boolean;
}

const JSON_EXTENSION = /\.(jsonl|ndjson|json)$/i;

/** The table at `source`. */
export async function readTable(
  source: TableSource,
  { delimiter = "auto", naValues = [], reads }: ReadTableOptions = {},
): Promise<RawTable> {
  const { file, bytes } = typeof source === "string"
    ? { file: source, bytes: await readBytes(source) }
    : source;
  const format = tableFormat(file, bytes, typeof source !== "string");
  const table = format === "parquet"
    ? await parseParquet(bytes, file, { reads })
    : format === "jsonl"
    ? parseJsonLines(decode(bytes), file, { reads })
    : parseCsvText(decode(bytes), file, { delimiter });
  return withMissing(table, naValues);
}

/** The format of a file's bytes: Parquet by its magic, JSON lines by name (or, unnamed, by first character). */
export function tableFormat(file: string, bytes: Uint8Array, unnamed = false): TableFormat {
  if (bytes.length >= 8 && new TextDecoder().decode(bytes.subarray(0, 4)) === PARQUET_MAGIC) return "parquet";
  if (JSON_EXTENSION.test(file)) return "jsonl";
  if (unnamed) {
    const first = new TextDecoder().decode(bytes.subarray(0, 256)).replace(/^\uFEFF/, "").trimStart()[0];
    if (first === "{" || first === "[") return "jsonl";
  }
  return "csv";
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    // A regular file only (a FIFO would hang, /dev/zero never end); 4 GiB is past what one process reads.
    return await readFileBounded(path, { what: "data", maxBytes: FILE_LIMITS.data });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `Cannot read "${path}": file not found`, { cause: err });
    }
    if (err instanceof MmmlError) throw err;
    if (err instanceof Deno.errors.IsADirectory) {
      throw new MmmlError("invalid_input", `Cannot read "${path}": expected a file, received a folder`, {
        cause: err,
      });
    }
    throw new MmmlError("invalid_input", `Cannot read "${path}": ${(err as Error).message}`, { cause: err });
  }
}

/** UTF-8 text, invalid bytes replaced as Deno.readTextFile does (a Latin-1 CSV still reads). */
function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
