/**
 * A regression's chart sections, in place of the confusion matrix and ROC curves: predicted against
 * actual values (the dashed diagonal is a perfect model) and the residuals (actual - predicted) against
 * the actual value, from prediction_points.json.
 */
import type { MetricsArtifact } from "../artifacts/metrics_file.ts";
import type { PointsSplit, PredictionPoints } from "../artifacts/prediction_points_file.ts";
import { SPLIT_COLORS } from "./chart_palette.ts";
import { escapeHtml } from "./escape_html.ts";
import { chartLegend, lineChart, type LineSeries } from "./line_chart.ts";
import { note, section, SPLIT_NAMES } from "./report_charts.ts";
import { formatCount } from "./report_format.ts";

/** The split drawn: test when recorded, else validation. */
function drawnSplit(points: PredictionPoints): { name: "test" | "val"; split: PointsSplit } | null {
  if (points.splits.test) return { name: "test", split: points.splits.test };
  if (points.splits.val) return { name: "val", split: points.splits.val };
  return null;
}

const missing = (id: string, title: string) =>
  section(
    id,
    title,
    note(
      "This version has no prediction_points.json (predictions are recorded at train time), so there is " +
        "nothing to plot.",
    ),
  );

function figure(chart: string, legend: string, caption: string): string {
  return `<figure>\n${chart}\n${legend}\n<figcaption>${escapeHtml(caption)}</figcaption>\n</figure>`;
}

function kept(split: PointsSplit): string {
  return split.actual.length < split.n ? ` (${formatCount(split.actual.length)} of them, evenly spread)` : "";
}

/** Predicted against actual values on the evaluation split. */
export function predictionsSection(
  points: PredictionPoints | null | undefined,
  _metrics: MetricsArtifact,
): string {
  const drawn = points ? drawnSplit(points) : null;
  if (!points || !drawn) return missing("predictions", "Predicted against actual");
  const { name, split } = drawn;
  const all = [...split.actual, ...split.predicted];
  const lo = Math.min(...all), hi = Math.max(...all);
  const pad = (hi - lo) * 0.03 || 1;
  const domain = [lo - pad, hi + pad] as const;
  const series: LineSeries[] = [{
    name: `${SPLIT_NAMES[name]} rows`,
    points: split.actual.map((a, i) => [a, split.predicted[i]] as const),
    color: name === "val" ? SPLIT_COLORS.val : SPLIT_COLORS.train,
    pointsOnly: true,
  }];
  const chart = lineChart(series, {
    id: "chart-predictions",
    title: `Predicted against actual ${points.target}, ${SPLIT_NAMES[name]} split`,
    xLabel: `actual ${points.target}`,
    yLabel: `predicted ${points.target}`,
    xDomain: domain,
    yDomain: domain,
    diagonal: true,
    width: 460,
    height: 420,
  });
  return section(
    "predictions",
    "Predicted against actual",
    figure(
      chart,
      chartLegend(series),
      `${SPLIT_NAMES[name]} split, ${formatCount(split.n)} rows${
        kept(split)
      }. Points on the dashed diagonal ` +
        `are predicted exactly; above it the model overestimates.`,
    ),
  );
}

/** Residuals (actual - predicted) against the actual value on the evaluation split. */
export function residualsSection(points: PredictionPoints | null | undefined): string {
  const drawn = points ? drawnSplit(points) : null;
  if (!points || !drawn) return missing("residuals", "Residuals");
  const { name, split } = drawn;
  const residuals = split.actual.map((a, i) => a - split.predicted[i]);
  const series: LineSeries[] = [
    {
      name: "residual",
      points: split.actual.map((a, i) => [a, residuals[i]] as const),
      color: name === "val" ? SPLIT_COLORS.val : SPLIT_COLORS.train,
      pointsOnly: true,
    },
    {
      name: "zero",
      points: [[Math.min(...split.actual), 0], [Math.max(...split.actual), 0]],
      color: "#888888",
      dashed: true,
    },
  ];
  const mean = residuals.reduce((s, r) => s + r, 0) / residuals.length;
  const chart = lineChart(series, {
    id: "chart-residuals",
    title: `Residuals (actual - predicted) against actual ${points.target}, ${SPLIT_NAMES[name]} split`,
    xLabel: `actual ${points.target}`,
    yLabel: "actual - predicted",
    width: 560,
    height: 320,
  });
  return section(
    "residuals",
    "Residuals",
    figure(
      chart,
      chartLegend(series),
      `${SPLIT_NAMES[name]} split${kept(split)}; mean residual ${mean.toPrecision(4)}. A trend or a funnel ` +
        `shape shows what the model misses.`,
    ),
  );
}
