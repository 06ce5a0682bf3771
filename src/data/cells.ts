/**
 * Parsing of raw CSV/JSON cells into typed values, shared by schema validation, preprocessing and the
 * predict/serve paths so that every entry point accepts exactly the same spellings.
 */
import { FALSE_STRINGS, TRUE_STRINGS } from "./data_schema.ts";

/** Spellings of a missing numeric value besides an empty cell (case-sensitive, as pandas). */
export const NUMERIC_NA = new Set(["NaN", "nan", "NA", "N/A", "null", "NULL", "None"]);

export type NumberParse = { ok: true; value: number | null } | { ok: false; reason: string };

/**
 * A number without allocating, for the common spellings (digits, sign, point, exponent); NaN where
 * the cell needs the full rules (parseNumberText): empty, padded, NA spellings, text, "0x..", non-finite.
 * Where it gives a number, parseNumberText gives the same one. parseNumberCell tries it first, and the
 * preprocessor's per-cell loop calls it directly to skip even the result object.
 */
export function fastNumber(s: string): number {
  const c = s.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 46 || c === 43 || c === 45)) return NaN;
  // Number() reads 0x/0b/0o literals, which parseNumberText rejects as text.
  if (c === 48 && s.length > 1) {
    const d = s.charCodeAt(1) | 32;
    if (d === 120 || d === 98 || d === 111) return NaN;
  }
  const v = +s;
  return v - v === 0 ? v : NaN;
}

/**
 * A numeric cell: null/empty/NaN spellings are missing (value null); Infinity and text are errors.
 */
export function parseNumberCell(cell: string | number | boolean | null | undefined): NumberParse {
  if (cell === null || cell === undefined) return { ok: true, value: null };
  // One rule for every route: a numeric column takes numbers; true is no more 1 than "TRUE" is.
  if (typeof cell === "boolean") return { ok: false, reason: "a boolean" };
  if (typeof cell === "number") {
    if (Number.isNaN(cell)) return { ok: true, value: null };
    return Number.isFinite(cell) ? { ok: true, value: cell } : { ok: false, reason: "a non-finite number" };
  }
  // Plain numbers (most cells of a numeric column) skip the trim and the regular expressions.
  const quick = fastNumber(cell);
  return quick === quick ? { ok: true, value: quick } : parseNumberText(cell);
}

/** A numeric text cell by the full rules (parseNumberCell without the fastNumber shortcut). */
export function parseNumberText(cell: string): NumberParse {
  const s = cell.trim();
  if (s === "" || NUMERIC_NA.has(s)) return { ok: true, value: null };
  if (/^[+-]?(infinity|inf)$/i.test(s)) return { ok: false, reason: "a non-finite number" };
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return { ok: false, reason: "text" };
  const v = Number(s);
  if (!Number.isFinite(v)) return { ok: false, reason: "a non-finite number" };
  return { ok: true, value: v };
}

export type BooleanParse = { ok: true; value: boolean | null } | { ok: false };

/** A boolean cell: true/yes/y/t/1 and false/no/n/f/0, any case; empty is missing. */
export function parseBooleanCell(cell: string | number | boolean | null | undefined): BooleanParse {
  if (cell === null || cell === undefined) return { ok: true, value: null };
  if (typeof cell === "boolean") return { ok: true, value: cell };
  if (typeof cell === "number") {
    return cell === 1 || cell === 0 ? { ok: true, value: cell === 1 } : { ok: false };
  }
  const s = cell.trim().toLowerCase();
  if (s === "") return { ok: true, value: null };
  if ((TRUE_STRINGS as readonly string[]).includes(s)) return { ok: true, value: true };
  if ((FALSE_STRINGS as readonly string[]).includes(s)) return { ok: true, value: false };
  return { ok: false };
}

/** A categorical cell as its category string; empty is missing. Numbers keep their CSV spelling. */
export function categoryOf(cell: string | number | boolean | null | undefined): string | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === "string") return cell === "" ? null : cell;
  return String(cell);
}
