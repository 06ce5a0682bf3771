/**
 * A look at a data file before training on it (`mmml data info FILE [--json]`): each column's type,
 * missing and distinct counts, numeric ranges or the most common categories, and the class balance.
 * Problems that would stop training (text in a numeric column) are reported as warnings, not thrown.
 */
import type { ColumnType } from "../config/schema.ts";
import { categoryOf, parseBooleanCell, parseNumberCell } from "./cells.ts";
import { countLabels } from "./label_encoding.ts";
import type { RawTable } from "./table.ts";
import { inspectColumn } from "./type_inference.ts";

export interface ColumnInfo {
  name: string;
  type: ColumnType;
  role: "feature" | "label";
  missing: number;
  distinct: number;
  /** Numeric columns with at least one number. */
  min?: number;
  max?: number;
  mean?: number;
  /** Sample standard deviation (n - 1), as pandas' describe; 0 for a single value. */
  std?: number;
  /** Categorical, boolean and label columns: the most common values, most common first. */
  top?: { value: string; count: number }[];
  /** Why training would reject this column as it stands. */
  warning?: string;
}

export interface DataInfo {
  file: string;
  rows: number;
  columns: ColumnInfo[];
  label?: string;
  /** Rows per class, in class order, when a label is given. */
  classBalance?: Record<string, number>;
}

export interface SummarizeOptions {
  label?: string;
  /** `data.column_types`, so the summary shows the types training will use. */
  overrides?: Readonly<Record<string, ColumnType>>;
  /** How many of the most common values to list for a categorical column. */
  topK?: number;
}

/** Summarizes every column of the table; throws invalid_input only when the label column is absent. */
export function summarizeTable(
  table: RawTable,
  { label, overrides = {}, topK = 5 }: SummarizeOptions = {},
): DataInfo {
  const balance = label === undefined ? undefined : countLabels(table, label);
  const columns = table.header.map((name): ColumnInfo => {
    const cells = table.columns.get(name) ?? [];
    if (name === label) return { ...summarizeCategories(cells, "categorical", topK), name, role: "label" };
    const declared = Object.hasOwn(overrides, name) ? overrides[name] : undefined;
    const { type, problem } = inspectColumn(table, name, declared);
    const summary = type === "numeric" ? summarizeNumbers(cells) : summarizeCategories(cells, type, topK);
    return { name, role: "feature", ...summary, ...(problem ? { warning: problem.message } : {}) };
  });
  return {
    file: table.file,
    rows: table.rowCount,
    columns,
    ...(label === undefined ? {} : { label, classBalance: Object.fromEntries(balance!) }),
  };
}

function summarizeNumbers(cells: readonly (string | null)[]): Omit<ColumnInfo, "name" | "role"> {
  let missing = 0;
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  let mean = 0;
  let m2 = 0;
  const distinct = new Set<number>();
  for (const cell of cells) {
    const parsed = parseNumberCell(cell);
    if (!parsed.ok) continue; // already reported as the column's warning
    if (parsed.value === null) {
      missing++;
      continue;
    }
    const x = parsed.value;
    distinct.add(x);
    if (x < min) min = x;
    if (x > max) max = x;
    // Welford's update: stable for large columns with a large mean.
    n++;
    const delta = x - mean;
    mean += delta / n;
    m2 += delta * (x - mean);
  }
  const base = { type: "numeric" as const, missing, distinct: distinct.size };
  if (n === 0) return base;
  return { ...base, min, max, mean, std: n > 1 ? Math.sqrt(m2 / (n - 1)) : 0 };
}

function summarizeCategories(
  cells: readonly (string | null)[],
  type: Exclude<ColumnType, "numeric">,
  topK: number,
): Omit<ColumnInfo, "name" | "role"> {
  let missing = 0;
  const counts = new Map<string, number>();
  for (const cell of cells) {
    let value: string | null;
    if (type === "boolean") {
      const parsed = parseBooleanCell(cell);
      value = parsed.ok ? (parsed.value === null ? null : String(parsed.value)) : cell;
    } else {
      value = categoryOf(cell);
    }
    if (value === null) missing++;
    else counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const top = [...counts]
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, topK)
    .map(([value, count]) => ({ value, count }));
  return { type, missing, distinct: counts.size, top };
}

/** The summary as a human-readable table, for stderr or a terminal. */
export function formatDataInfo(info: DataInfo): string {
  const out: string[] = [];
  const labelNote = info.label === undefined ? "" : ` (label: ${info.label})`;
  out.push(`${info.file}: ${info.rows} rows, ${info.columns.length} columns${labelNote}`, "");
  const rows = info.columns.map((c) => [
    c.role === "label" ? `${c.name} (label)` : c.name,
    c.type,
    c.missing === 0 ? "0" : `${c.missing} (${percent(c.missing, info.rows)})`,
    String(c.distinct),
    columnSummary(c),
  ]);
  out.push(
    ...alignRows([["column", "type", "missing", "distinct", "summary"], ...rows], [false, false, true, true]),
  );
  if (info.classBalance !== undefined) {
    const total = Object.values(info.classBalance).reduce((a, b) => a + b, 0);
    out.push("", `class balance (${info.label}):`);
    const balance = Object.entries(info.classBalance).map(([name, count]) => [
      `  ${name}`,
      String(count),
      percent(count, total),
    ]);
    out.push(...alignRows(balance, [false, true, true]));
  }
  const warnings = info.columns.filter((c) => c.warning !== undefined);
  if (warnings.length > 0) {
    out.push("", "warnings:", ...warnings.map((c) => `  ${c.warning}`));
  }
  return out.join("\n") + "\n";
}

function columnSummary(c: ColumnInfo): string {
  if (c.top !== undefined) {
    const shown = c.top.map((t) => `${JSON.stringify(t.value).slice(1, -1)} ${t.count}`).join(", ");
    return c.distinct > c.top.length ? `${shown}, ... (${c.distinct - c.top.length} more)` : shown;
  }
  if (c.min === undefined) return "no values";
  return `min ${num(c.min)}, max ${num(c.max!)}, mean ${num(c.mean!)}, std ${num(c.std!)}`;
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${((100 * part) / whole).toFixed(1)}%`;
}

/** Pads cells so columns line up; `right[i]` right-aligns column i. The last column is never padded. */
function alignRows(rows: string[][], right: boolean[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r.map((cell, i) => {
      if (i === r.length - 1) return cell;
      return right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
    }).join("  ").trimEnd()
  );
}
