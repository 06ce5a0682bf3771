/**
 * Plain-text tables and numbers for the `mmml registry` subcommands: columns padded to their widest
 * cell, metrics to four decimals, so versions line up for a reader comparing them by eye.
 */

/** Columns two spaces apart, left-aligned except those in `rightAlign`; the first row is the header. */
export function formatTable(
  rows: readonly (readonly string[])[],
  { rightAlign = [] as readonly number[] } = {},
): string {
  if (rows.length === 0) return "";
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) =>
    widths.map((w, i) => rightAlign.includes(i) ? (r[i] ?? "").padStart(w) : (r[i] ?? "").padEnd(w))
      .join("  ").trimEnd();
  return rows.map(line).join("\n") + "\n";
}

/** A metric for a table: integers as they are, other numbers to four decimals, "-" when absent. */
export function formatNumber(x: number | null | undefined): string {
  return typeof x !== "number" ? "-" : Number.isInteger(x) ? String(x) : x.toFixed(4);
}
