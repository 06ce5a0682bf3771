/**
 * Reads a Parquet file into a RawTable with hyparquet (pure JavaScript, no native library, maintained by
 * Hyperparam; it reads every Parquet encoding pandas, pyarrow, Spark and DuckDB write). Snappy pages are
 * read by hyparquet itself; gzip, brotli and zstd through node:zlib. Flat columns become cell text
 * (cell_text.ts); a nested column (list, map, struct, variant, JSON) the caller reads is refused, naming
 * it. Error messages name rows (1-based), since a Parquet file has no lines.
 */
import { brotliDecompressSync, gunzipSync, zstdDecompressSync } from "node:zlib";
import { type Compressors, parquetMetadata, parquetRead, parquetSchema } from "hyparquet";
import { MmmlError } from "../errors.ts";
import { cellText, isNested } from "./cell_text.ts";
import type { RawTable } from "./table.ts";

/** The four bytes a Parquet file starts (and ends) with. */
export const PARQUET_MAGIC = "PAR1";

const COMPRESSORS: Compressors = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
  ZSTD: (input) => new Uint8Array(zstdDecompressSync(input)),
};

export interface ParquetOptions {
  /** The columns the caller reads (default all): a nested one it does not read is left out, not refused. */
  reads?: (column: string) => boolean;
}

/** Parses the bytes of a Parquet file; `file` names it in messages. */
export async function parseParquet(
  bytes: Uint8Array,
  file: string,
  { reads = () => true }: ParquetOptions = {},
): Promise<RawTable> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const fail = (why: string, cause?: unknown): never => {
    throw new MmmlError("invalid_input", `${file}: cannot read Parquet: ${why}`, { cause });
  };
  let metadata;
  try {
    metadata = parquetMetadata(buffer);
  } catch (err) {
    return fail((err as Error).message, err);
  }
  const rowCount = Number(metadata.num_rows);
  const header: string[] = [];
  const omitted: string[] = [];
  const float32 = new Set<string>();
  for (const child of parquetSchema(metadata).children) {
    const name = child.element.name;
    if (child.element.type === "FLOAT") float32.add(name);
    if (child.children.length === 0) header.push(name);
    else if (reads(name)) throw nestedColumn(file, name, groupKind(child.element));
    else omitted.push(name);
  }
  if (header.length === 0) fail("it has no flat columns");
  if (rowCount === 0) {
    throw new MmmlError("invalid_input", `${file} has columns but no rows; expected at least one row`);
  }
  const columns = new Map<string, (string | null)[]>();
  const nested = new Set<string>();
  let refused: MmmlError | undefined;
  for (const name of header) columns.set(name, new Array<string | null>(rowCount).fill(null));
  try {
    await parquetRead({
      file: buffer,
      metadata,
      columns: header,
      compressors: COMPRESSORS,
      onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
        const cells = columns.get(columnName);
        if (!cells || nested.has(columnName) || refused) return;
        const text = float32.has(columnName) ? float32Text : cellText;
        for (let i = Math.max(rowStart, 0); i < Math.min(rowEnd, rowCount); i++) {
          const cell = text(columnData[i - rowStart]);
          if (!isNested(cell)) cells[i] = cell;
          else {
            // hyparquet calls onChunk outside its promise chain: a throw here would not reach the caller.
            if (reads(columnName)) {
              refused = nestedColumn(file, columnName, `row ${i + 1} holds ${cell.nested}`);
            } else nested.add(columnName);
            return;
          }
        }
      },
    });
  } catch (err) {
    if (err instanceof MmmlError) throw err;
    fail((err as Error).message, err);
  }
  if (refused) throw refused;
  for (const name of nested) {
    columns.delete(name);
    omitted.push(name);
  }
  const flat = header.filter((h) => columns.has(h));
  const lines = Array.from({ length: rowCount }, (_, i) => i + 1);
  return { file, header: flat, columns, rowCount, lines, position: "row", omitted };
}

/** A 32-bit float as the shortest text that reads back to it (0.1, not 0.10000000149011612). */
function float32Text(value: unknown): ReturnType<typeof cellText> {
  if (typeof value !== "number" || !Number.isFinite(value)) return cellText(value);
  for (let digits = 1; digits < 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(value);
}

function groupKind(element: { converted_type?: string; logical_type?: { type: string } }): string {
  const kind = element.logical_type?.type ?? element.converted_type;
  return kind ? `a ${kind}` : "a struct";
}

/** The error for a nested column: which, and what to do. */
export function nestedColumn(file: string, column: string, what: string): MmmlError {
  return new MmmlError(
    "invalid_input",
    `${file}: column "${column}" is nested (${what}); mmml reads flat columns of numbers, text, booleans ` +
      `and dates: flatten it into columns of its own, or leave it out (data.drop_columns when training)`,
    { details: { column } },
  );
}
