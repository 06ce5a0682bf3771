/**
 * Reads a data file into a RawTable, whatever its format: CSV (or TSV, delimiter detected) for now, with
 * the configured missing-value spellings (data.na_values) made missing. Training, evaluate and predict
 * read tables through here, so they accept the same files.
 */
import { type Delimiter, readCsv } from "./csv_adapter.ts";
import { type RawTable, withMissing } from "./table.ts";

export interface ReadTableOptions {
  delimiter?: Delimiter;
  /** Cell texts that mean missing besides an empty cell. */
  naValues?: readonly string[];
}

/** The table at `path`. */
export async function readTable(
  path: string,
  { delimiter = "auto", naValues = [] }: ReadTableOptions = {},
): Promise<RawTable> {
  return withMissing(await readCsv(path, { delimiter }), naValues);
}
