/**
 * Date and date-time cells. A date column is read in one format, found in its training cells and saved
 * with the schema, so predict and serve read the same cells the same way:
 * - "iso": ISO 8601, `2024-03-05`, `2024-03-05T14:30`, `2024-03-05 14:30:00`, with seconds, fractions
 *   and a `Z` or `+01:00` offset allowed (an offset is applied; the day is then the UTC day);
 * - "dmy": day first, `05/03/2024` or `05.03.2024` (Europe), with an optional ` 14:30[:00]`;
 * - "ymd_slash": `2024/03/05`.
 * A date becomes five numeric features (DATE_PARTS): year, month (1-12), day (1-31), day of week
 * (0 = Monday, as pandas) and day of year (1-366).
 */

export const DATE_FORMATS = ["iso", "dmy", "ymd_slash"] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** The features a date column becomes, in order, and their names' suffixes (`sold.year`, ...). */
export const DATE_PARTS = ["year", "month", "day", "weekday", "yearday"] as const;
export type DatePart = (typeof DATE_PARTS)[number];

const TIME = String.raw`(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?`;
const PATTERNS: Record<DateFormat, RegExp> = {
  iso: new RegExp(String.raw`^(\d{4})-(\d{2})-(\d{2})${TIME}(Z|[+-]\d{2}:?\d{2})?$`),
  dmy: new RegExp(String.raw`^(\d{1,2})[/.](\d{1,2})[/.](\d{4})${TIME}$`),
  ymd_slash: new RegExp(String.raw`^(\d{4})/(\d{1,2})/(\d{1,2})${TIME}$`),
};

/** The UTC time of a cell in `format`, or NaN when it is not a valid date in that format. */
export function parseDate(text: string, format: DateFormat): number {
  const m = PATTERNS[format].exec(text.trim());
  if (!m) return NaN;
  const [y, mo, d] = format === "dmy" ? [m[3], m[2], m[1]] : [m[1], m[2], m[3]];
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const [h, mi, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  let t = Date.UTC(year, month - 1, day, h, mi, s);
  // Date.UTC rolls 31 February over into March: a day the month lacks is not a date.
  if (new Date(t).getUTCDate() !== day) return NaN;
  const offset = format === "iso" ? m[7] : undefined;
  if (offset && offset !== "Z") {
    const sign = offset[0] === "-" ? -1 : 1;
    const digits = offset.slice(1).replace(":", "");
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return t;
}

/** The formats every one of `cells` parses in (missing cells left out); empty when none fits them all. */
export function dateFormatsOf(cells: readonly (string | null)[]): DateFormat[] {
  let formats: DateFormat[] = [...DATE_FORMATS];
  let seen = 0;
  for (const cell of cells) {
    if (cell === null) continue;
    formats = formats.filter((f) => !Number.isNaN(parseDate(cell, f)));
    if (formats.length === 0) return [];
    seen++;
  }
  return seen > 0 ? formats : [];
}

/** One part of a UTC time (see DATE_PARTS). */
export function datePart(t: number, part: DatePart): number {
  const d = new Date(t);
  switch (part) {
    case "year":
      return d.getUTCFullYear();
    case "month":
      return d.getUTCMonth() + 1;
    case "day":
      return d.getUTCDate();
    case "weekday":
      return (d.getUTCDay() + 6) % 7;
    case "yearday":
      return Math.floor((t - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  }
}

/** How each date format looks, for messages. */
export const DATE_FORMAT_EXAMPLES: Record<DateFormat, string> = {
  iso: "ISO 8601, like 2024-03-05",
  dmy: "day first, like 05/03/2024",
  ymd_slash: "like 2024/03/05",
};
