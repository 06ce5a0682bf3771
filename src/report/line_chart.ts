/**
 * A line chart as an inline SVG string: axes with round ticks, light grid, one path per series (gaps
 * where a value is not finite, e.g. a diverged loss), an optional vertical marker (the best epoch) and
 * an optional chance diagonal (ROC). No script and no external resource, so the page renders offline.
 */
import { formatTick, linearScale, niceTicks } from "./chart_scale.ts";
import { escapeHtml } from "./escape_html.ts";

/** One line; points are [x, y] in data units. */
export interface LineSeries {
  name: string;
  points: readonly (readonly [number, number])[];
  color: string;
  dashed?: boolean;
  /** Dots only, no line (a scatter plot). */
  pointsOnly?: boolean;
}

/** A labelled vertical line at `x`. */
export interface ChartMarker {
  x: number;
  label: string;
}

/** Options of lineChart; `id` must be unique in the page (it names the title for screen readers). */
export interface LineChartOptions {
  id: string;
  title: string;
  /** What the chart shows, in words, for screen readers. */
  description?: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  /** Only whole-number x ticks (epochs). */
  xIntegers?: boolean;
  marker?: ChartMarker;
  /** Draw the y = x line (a classifier that guesses). */
  diagonal?: boolean;
  /** Dots on the points; default when no series has more than 60 points. */
  showPoints?: boolean;
}

const MARGIN = Object.freeze({ top: 14, right: 18, bottom: 46, left: 60 } as const);

/** Renders the chart; series without any finite point are left out of the drawing. */
export function lineChart(series: readonly LineSeries[], options: LineChartOptions): string {
  const { id, title, description = "", xLabel, yLabel, width = 560, height = 320 } = options;
  const finite = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const xs = finite.map(([x]) => x);
  const ys = finite.map(([, y]) => y);
  const xTicks = axisTicks(options.xDomain ?? extent(xs), options.xIntegers ?? false, options.xDomain);
  const yTicks = axisTicks(options.yDomain ?? extent(ys), false, options.yDomain);
  const xDomain = options.xDomain ?? [xTicks[0], xTicks[xTicks.length - 1]] as const;
  const yDomain = options.yDomain ?? [yTicks[0], yTicks[yTicks.length - 1]] as const;
  const [left, right] = [MARGIN.left, width - MARGIN.right];
  const [top, bottom] = [MARGIN.top, height - MARGIN.bottom];
  const sx = linearScale(xDomain, [left, right]);
  const sy = linearScale(yDomain, [bottom, top]);
  const showPoints = options.showPoints ?? series.every((s) => s.points.length <= 60);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart line-chart" data-chart="${escapeHtml(id)}" ` +
      `viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
      `aria-labelledby="${escapeHtml(id)}-title ${escapeHtml(id)}-desc">`,
    `<title id="${escapeHtml(id)}-title">${escapeHtml(title)}</title>`,
    `<desc id="${escapeHtml(id)}-desc">${escapeHtml(description)}</desc>`,
  );
  out.push(`<g class="grid" aria-hidden="true">`);
  for (const t of xTicks) {
    const x = px(sx(t));
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}"/>`);
  }
  for (const t of yTicks) {
    const y = px(sy(t));
    out.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}"/>`);
  }
  out.push(`</g>`, `<g class="axis" aria-hidden="true">`);
  out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}"/>`);
  for (const t of xTicks) {
    out.push(`<text x="${px(sx(t))}" y="${bottom + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of yTicks) {
    out.push(`<text x="${left - 6}" y="${px(sy(t)) + 4}" text-anchor="end">${formatTick(t)}</text>`);
  }
  out.push(
    `<text class="axis-label" x="${px((left + right) / 2)}" y="${height - 8}" text-anchor="middle">` +
      `${escapeHtml(xLabel)}</text>`,
    `<text class="axis-label" transform="translate(14 ${px((top + bottom) / 2)}) rotate(-90)" ` +
      `text-anchor="middle">${escapeHtml(yLabel)}</text>`,
    `</g>`,
  );
  if (options.diagonal) {
    out.push(
      `<line class="diagonal" x1="${px(sx(xDomain[0]))}" y1="${px(sy(yDomain[0]))}" ` +
        `x2="${px(sx(xDomain[1]))}" y2="${px(sy(yDomain[1]))}" aria-hidden="true"/>`,
    );
  }
  if (options.marker && Number.isFinite(options.marker.x)) {
    const x = px(sx(options.marker.x));
    const anchor = x > left + 0.7 * (right - left) ? "end" : "start";
    const dx = anchor === "end" ? -4 : 4;
    out.push(
      `<g class="marker">`,
      `<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}"/>`,
      `<text x="${x + dx}" y="${top + 12}" text-anchor="${anchor}">${
        escapeHtml(options.marker.label)
      }</text>`,
      `</g>`,
    );
  }
  for (const s of series) {
    const d = pathData(s.points, sx, sy);
    if (d === "") continue;
    out.push(`<g class="series-group" data-series="${escapeHtml(s.name)}">`);
    if (!s.pointsOnly) {
      out.push(
        `<path class="series" data-series="${escapeHtml(s.name)}" d="${d}" stroke="${escapeHtml(s.color)}"` +
          `${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`,
      );
    }
    if (showPoints || s.pointsOnly) {
      for (const [x, y] of s.points) {
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        out.push(
          `<circle class="point" cx="${px(sx(x))}" cy="${px(sy(y))}" r="${s.pointsOnly ? 2 : 2.5}" ` +
            `fill="${escapeHtml(s.color)}"${s.pointsOnly ? ` fill-opacity="0.6"` : ""}/>`,
        );
      }
    }
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return out.join("\n");
}

/** The legend of a chart as an HTML list, each entry with a swatch drawn like its line. */
export function chartLegend(series: readonly Pick<LineSeries, "name" | "color" | "dashed">[]): string {
  const items = series.map((s) =>
    `<li><svg width="26" height="10" aria-hidden="true"><line x1="1" y1="5" x2="25" y2="5" ` +
    `stroke="${escapeHtml(s.color)}" stroke-width="2.5"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/></svg>` +
    `${escapeHtml(s.name)}</li>`
  );
  return `<ul class="legend">${items.join("")}</ul>`;
}

/** SVG path data; a non-finite point ends the current segment so the line shows a gap there. */
export function pathData(
  points: readonly (readonly [number, number])[],
  sx: (v: number) => number,
  sy: (v: number) => number,
): string {
  const parts: string[] = [];
  let open = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      open = false;
      continue;
    }
    parts.push(`${open ? "L" : "M"}${px(sx(x))} ${px(sy(y))}`);
    open = true;
  }
  return parts.join(" ");
}

function extent(values: readonly number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return [lo, hi];
}

/** Ticks over [lo, hi]; with a fixed `domain`, only those inside it (the axis does not stretch). */
function axisTicks(
  [lo, hi]: readonly [number, number],
  integers: boolean,
  domain?: readonly [number, number],
): number[] {
  let ticks = niceTicks(lo, hi, 6);
  if (domain) {
    const eps = 1e-9 * Math.max(1, Math.abs(domain[1] - domain[0]));
    ticks = ticks.filter((t) => t >= domain[0] - eps && t <= domain[1] + eps);
  }
  if (!integers) return ticks;
  const whole = ticks.filter(Number.isInteger);
  return whole.length >= 2 ? whole : [Math.floor(lo), Math.max(Math.ceil(hi), Math.floor(lo) + 1)];
}

/** Pixel coordinates with one decimal: enough for a crisp line, short enough to keep the file small. */
function px(v: number): number {
  return Math.round(v * 10) / 10;
}
