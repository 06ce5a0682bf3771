/**
 * How the report writes numbers: metrics with four decimals, durations in the unit that reads best,
 * counts with thousands separators. Missing values print as an en dash so a table keeps its shape.
 */

/** The placeholder for a value that was not recorded. */
export const MISSING = "–";

/** A metric such as accuracy or log loss: four decimals; null, undefined or NaN as MISSING. */
export function formatMetric(value: number | null | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(4) : MISSING;
}

/** A duration in seconds: "850 µs", "73 ms", "1.23 s", "2 min 05 s". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return MISSING;
  if (seconds < 1e-3) return `${Math.round(seconds * 1e6)} µs`;
  if (seconds < 1) return `${Math.round(seconds * 1e3)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.round(seconds - 60 * minutes)).padStart(2, "0")} s`;
}

/** A count or rate rounded to a whole number, with thousands separators: "28,353". */
export function formatCount(value: number | null | undefined): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return MISSING;
  return Math.round(value).toLocaleString("en-US");
}

/** A swept parameter's value: text as is, a non-integer number to 4 significant digits, others as JSON. */
export function formatParamValue(v: unknown): string {
  return typeof v === "string"
    ? v
    : typeof v === "number" && !Number.isInteger(v)
    ? String(Number(v.toPrecision(4)))
    : JSON.stringify(v);
}

/** `part` as a percentage of `whole` with one decimal: "34.8%". */
export function formatPercent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : MISSING;
}
