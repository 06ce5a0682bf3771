/**
 * Writes a CSV's rows as Parquet (hyparquet-writer) or JSON lines, for the tests that check every
 * format reads into the same table. Columns whose every cell is a number become DOUBLE (Parquet) or
 * JSON numbers; the rest text; empty cells null.
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { parseCsvText } from "../src/data/csv_adapter.ts";

/** The CSV text's columns, typed: numbers where every present cell is one. */
export function typedColumns(
  csv: string,
): { name: string; data: (string | number | null)[]; numeric: boolean }[] {
  const table = parseCsvText(csv, "input.csv");
  return table.header.map((name) => {
    const cells = table.columns.get(name)!;
    const numeric = cells.every((c) => c === null || Number.isFinite(Number(c)));
    return { name, numeric, data: cells.map((c) => (c === null ? null : numeric ? Number(c) : c)) };
  });
}

/** The CSV text's rows as a Parquet file's bytes. */
export function csvToParquet(csv: string, options: { codec?: "UNCOMPRESSED" | "SNAPPY" } = {}): Uint8Array {
  const columnData = typedColumns(csv).map(({ name, data, numeric }) => ({
    name,
    data,
    type: numeric ? "DOUBLE" as const : "STRING" as const,
  }));
  return new Uint8Array(parquetWriteBuffer({ columnData, codec: options.codec ?? "SNAPPY" }));
}

/** The CSV text's rows as JSON lines; a missing cell is left out of its object. */
export function csvToJsonLines(csv: string): string {
  const columns = typedColumns(csv);
  const rows = columns[0]?.data.length ?? 0;
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row: Record<string, unknown> = {};
    for (const c of columns) if (c.data[r] !== null) row[c.name] = c.data[r];
    lines.push(JSON.stringify(row));
  }
  return lines.join("\n") + "\n";
}
