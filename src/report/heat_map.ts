/**
 * A confusion-matrix heat map as an inline SVG string: one `rect.cell` per (true, predicted) pair,
 * shaded by the cell's share of its row (so a rare class's mistakes show as clearly as a common one's),
 * with the count written in the cell when it is large enough to read, and a tooltip on every cell.
 */
import { heatColor, heatTextIsLight } from "./chart_palette.ts";
import { escapeHtml } from "./escape_html.ts";

/** Options of heatMap; `id` must be unique in the page. */
export interface HeatMapOptions {
  id: string;
  title: string;
  /** Names of the rows (true classes) and columns (predicted classes), in matrix order. */
  labels: readonly string[];
  rowAxis?: string;
  colAxis?: string;
  /** The side of the square grid in pixels; cells are side / k, clamped to [6, 72]. */
  side?: number;
}

const CHAR_WIDTH = 7;
const MAX_LABEL_CHARS = 22;

/** Renders a k x k matrix of counts; throws RangeError unless it is square with one label per row. */
export function heatMap(matrix: readonly (readonly number[])[], options: HeatMapOptions): string {
  const { id, title, labels, rowAxis = "true class", colAxis = "predicted class", side = 420 } = options;
  const k = matrix.length;
  if (k === 0 || matrix.some((row) => row.length !== k) || labels.length !== k) {
    throw new RangeError(
      `a heat map needs a square matrix with one label per row, received ${k} rows of lengths ` +
        `${matrix.map((r) => r.length).join(",")} and ${labels.length} labels`,
    );
  }
  const cell = Math.max(6, Math.min(72, Math.floor(side / k)));
  const shown = labels.map((l) => l.length > MAX_LABEL_CHARS ? l.slice(0, MAX_LABEL_CHARS - 1) + "…" : l);
  const labelWidth = Math.min(MAX_LABEL_CHARS, Math.max(...shown.map((l) => l.length))) * CHAR_WIDTH + 10;
  const showLabels = cell >= 12;
  const showCounts = cell >= 22;
  // Column labels are turned 45 degrees so long class names do not overlap.
  const left = 24 + (showLabels ? labelWidth : 0);
  const top = 10 + (showLabels ? Math.ceil(labelWidth * 0.72) : 0);
  const grid = cell * k;
  const width = left + grid + 10 + (showLabels ? Math.ceil(labelWidth * 0.72) : 0);
  const height = top + grid + 34;
  const fontSize = Math.min(13, Math.max(9, Math.floor(cell / 2.6)));

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart heat-map" data-chart="${escapeHtml(id)}" ` +
    `data-k="${k}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-labelledby="${escapeHtml(id)}-title">`,
    `<title id="${escapeHtml(id)}-title">${escapeHtml(title)}</title>`,
  ];
  const rowTotals = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const count = matrix[i][j];
      const share = rowTotals[i] === 0 ? 0 : count / rowTotals[i];
      const [x, y] = [left + j * cell, top + i * cell];
      const tip = `true ${labels[i]}, predicted ${labels[j]}: ${count}` +
        (rowTotals[i] === 0 ? "" : ` (${(100 * share).toFixed(1)}% of ${labels[i]})`);
      out.push(
        `<rect class="cell${i === j ? " diagonal-cell" : ""}" data-row="${i}" data-col="${j}" ` +
          `data-count="${count}" x="${x}" y="${y}" width="${cell}" height="${cell}" ` +
          `fill="${heatColor(share)}"><title>${escapeHtml(tip)}</title></rect>`,
      );
      if (showCounts) {
        out.push(
          `<text class="count${heatTextIsLight(share) ? " light" : ""}" x="${x + cell / 2}" ` +
            `y="${y + cell / 2 + fontSize / 3}" text-anchor="middle" font-size="${fontSize}" ` +
            `aria-hidden="true">${count}</text>`,
        );
      }
    }
  }
  out.push(`<rect class="frame" x="${left}" y="${top}" width="${grid}" height="${grid}" fill="none"/>`);
  if (showLabels) {
    for (let i = 0; i < k; i++) {
      const mid = i * cell + cell / 2;
      out.push(
        `<text class="tick" x="${left - 6}" y="${top + mid + 4}" text-anchor="end">` +
          `${escapeHtml(shown[i])}<title>${escapeHtml(labels[i])}</title></text>`,
        `<text class="tick" transform="translate(${left + mid + 4} ${top - 6}) rotate(-45)" ` +
          `text-anchor="start">${escapeHtml(shown[i])}<title>${escapeHtml(labels[i])}</title></text>`,
      );
    }
  }
  out.push(
    `<text class="axis-label" transform="translate(12 ${top + grid / 2}) rotate(-90)" text-anchor="middle">` +
      `${escapeHtml(rowAxis)}</text>`,
    `<text class="axis-label" x="${left + grid / 2}" y="${top + grid + 24}" text-anchor="middle">` +
      `${escapeHtml(colAxis)}</text>`,
    `</svg>`,
  );
  return out.join("\n");
}
