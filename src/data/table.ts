/**
 * A data file held by column: raw cell text, `null` where the cell was empty (missing).
 * `lines[i]` is the 1-based line in `file` where data row i starts, for error messages
 * (rows and lines differ when quoted fields hold newlines); in a file without lines (Parquet,
 * `position: "row"`) it is the 1-based row.
 */
export interface RawTable {
  readonly file: string;
  readonly header: readonly string[];
  readonly columns: ReadonlyMap<string, readonly (string | null)[]>;
  readonly rowCount: number;
  readonly lines: readonly number[];
  /** What `lines` count: text lines (CSV, JSON lines; the default) or rows (Parquet). */
  readonly position?: "line" | "row";
  /** Nested columns of the file left out because the reader was told they are not read. */
  readonly omitted?: readonly string[];
}

/** Names a cell for error messages: `penguins.csv line 12, column "bill_length_mm"`. */
export function cellRef(
  table: Pick<RawTable, "file" | "lines" | "position">,
  row: number,
  column: string,
): string {
  return `${table.file} ${table.position ?? "line"} ${table.lines[row] ?? row + 2}, column "${column}"`;
}

/** Keeps the given rows (by index, in the given order). */
export function selectRows(table: RawTable, rows: ArrayLike<number>): RawTable {
  const columns = new Map<string, (string | null)[]>();
  for (const [name, values] of table.columns) {
    const out = new Array<string | null>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
    columns.set(name, out);
  }
  const lines = Array.from({ length: rows.length }, (_, i) => table.lines[rows[i]]);
  return { ...table, columns, rowCount: rows.length, lines };
}

/** The table with every cell spelled like one of `naValues` made missing (pandas' na_values). */
export function withMissing(table: RawTable, naValues: readonly string[]): RawTable {
  if (naValues.length === 0) return table;
  const na = new Set(naValues);
  const columns = new Map<string, (string | null)[]>();
  for (const [name, cells] of table.columns) {
    columns.set(
      name,
      cells.map((c) => c !== null && na.has(c.trim()) ? null : c),
    );
  }
  return { ...table, columns };
}
