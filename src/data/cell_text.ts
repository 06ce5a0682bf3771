/**
 * Turns the typed values of Parquet and JSON-lines files into the cell text a RawTable holds, so every
 * reader downstream (type inference, dates, validation) sees one kind of cell whatever the file format:
 * numbers as JavaScript writes them (shortest round trip), integers of any size, `true`/`false`, dates
 * as ISO 8601 (`2024-03-05` at midnight UTC, else the full time), text as is; null, an empty string and
 * NaN are missing. Lists, maps, structs and binary values have no cell text: the column is nested.
 */

/** What a value holds when it cannot be one cell: the kind, for the error message. */
export interface NestedValue {
  nested: string;
}

/** The cell text of one value, null when missing, or the kind of a nested value. */
export function cellText(value: unknown): string | null | NestedValue {
  switch (typeof value) {
    case "string":
      return value === "" ? null : value;
    case "number":
      return Number.isNaN(value) ? null : String(value);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      return null;
    case "object":
      if (value === null) return null;
      if (value instanceof Date) return dateText(value);
      if (value instanceof Uint8Array) return { nested: "binary" };
      if (Array.isArray(value) || ArrayBuffer.isView(value)) return { nested: "a list" };
      return { nested: "an object" };
    default:
      return { nested: typeof value };
  }
}

function dateText(date: Date): string | null {
  const t = date.getTime();
  if (Number.isNaN(t)) return null;
  const iso = date.toISOString();
  return t % 86_400_000 === 0 ? iso.slice(0, 10) : iso;
}

/** Whether `cellText` said the value is nested. */
export function isNested(cell: string | null | NestedValue): cell is NestedValue {
  return cell !== null && typeof cell === "object";
}
