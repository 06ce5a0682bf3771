/**
 * A sweep's HTML report (`mmml sweep report`): the metric of every trial, best first marked, and for each
 * parameter how the metric moved with it: a scatter of metric against value for a numeric parameter (log
 * scale when its values span more than a factor of 20, as learning rates do), a table of value, trials,
 * best and mean otherwise. Self-contained like the run report: no script, no external resource.
 */
import { SPLIT_COLORS } from "./chart_palette.ts";
import { escapeHtml } from "./escape_html.ts";
import { lineChart } from "./line_chart.ts";
import { note, section } from "./report_charts.ts";
import { formatMetric, formatParamValue } from "./report_format.ts";
import { reportPage } from "./report_page.ts";

/** One trial as the report reads it: what it set, which version it made, the sweep metric's value. */
export interface SweepReportTrial {
  trial: number;
  version: number;
  params: Record<string, unknown>;
  value: number | undefined;
}

export interface SweepReportInput {
  sweep: string;
  model: string;
  metric: string;
  mode: "min" | "max";
  trials: SweepReportTrial[];
  /** The best trial's number (chosen by the sweep's status), or null when none recorded the metric. */
  best: number | null;
  generatedAt: string;
}

function trialsTable(input: SweepReportInput, keys: string[], best?: SweepReportTrial): string {
  const head = ["trial", "version", ...keys, input.metric].map((h) =>
    `<th scope="col">${escapeHtml(h)}</th>`
  );
  const rows = input.trials.map((t) => {
    const cells = [
      String(t.trial),
      `${input.model}@${t.version}`,
      ...keys.map((k) => formatParamValue(t.params[k])),
      formatMetric(t.value),
    ].map((c, i) => i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`);
    const mark = t === best ? ` class="best" aria-label="best trial"` : "";
    return `<tr${mark}>${cells.join("")}</tr>`;
  });
  return `<table class="metrics"><thead><tr>${head.join("")}</tr></thead><tbody>\n${
    rows.join("\n")
  }\n</tbody></table>`;
}

function parameterSection(input: SweepReportInput, key: string, index: number): string {
  const scored = input.trials.filter((t) => t.value !== undefined);
  const values = scored.map((t) => t.params[key]);
  const numeric = values.every((v) => typeof v === "number" && Number.isFinite(v)) &&
    new Set(values).size > 1;
  if (numeric) {
    const xs = values as number[];
    const log = Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) > 20;
    const points = scored.map((t) =>
      [log ? Math.log10(t.params[key] as number) : t.params[key] as number, t.value!] as const
    );
    const chart = lineChart([{ name: key, points, color: SPLIT_COLORS.val, pointsOnly: true }], {
      id: `chart-param-${index}`,
      title: `${input.metric} against ${key}`,
      xLabel: log ? `log10 ${key}` : key,
      yLabel: input.metric,
      showPoints: true,
      width: 460,
      height: 300,
    });
    return `<figure>\n${chart}\n<figcaption>${escapeHtml(`${input.metric} of each trial against ${key}`)}${
      log ? " (log scale)" : ""
    }.</figcaption>\n</figure>`;
  }
  const groups = new Map<string, number[]>();
  for (const t of scored) {
    const value = formatParamValue(t.params[key]);
    groups.set(value, [...(groups.get(value) ?? []), t.value!]);
  }
  const rows = [...groups].map(([value, vs]) => {
    const best = input.mode === "max" ? Math.max(...vs) : Math.min(...vs);
    const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
    return `<tr><th scope="row">${escapeHtml(value)}</th><td>${vs.length}</td><td>${
      formatMetric(best)
    }</td><td>${formatMetric(mean)}</td></tr>`;
  });
  return `<table class="metrics"><caption>${escapeHtml(`${input.metric} by ${key}`)}</caption>` +
    `<thead><tr><th scope="col">${escapeHtml(key)}</th><th scope="col">trials</th><th scope="col">best</th>` +
    `<th scope="col">mean</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** Renders the page; pure (the clock comes in as `generatedAt`). */
export function renderSweepReport(input: SweepReportInput): string {
  const keys = [...new Set(input.trials.flatMap((t) => Object.keys(t.params)))];
  const best = input.trials.find((t) => t.trial === input.best);
  const header = `<header class="report-header"><p class="eyebrow">mmml sweep report</p>` +
    `<h1>${escapeHtml(input.model)} <span class="version">sweep ${escapeHtml(input.sweep)}</span></h1>` +
    `<p>${input.trials.length} trials, ${input.mode === "max" ? "maximising" : "minimising"} ` +
    `${escapeHtml(input.metric)}. ${
      best
        ? `Best: trial ${best.trial} (${escapeHtml(`${input.model}@${best.version}`)}), ${
          formatMetric(best.value)
        }.`
        : "No trial recorded the metric."
    }</p></header>`;
  const body = [
    header,
    section(
      "trials",
      "Trials",
      input.trials.length ? trialsTable(input, keys, best) : note("No trial has finished yet."),
    ),
    ...keys.map((k, i) => section(`param-${i}`, k, parameterSection(input, k, i))),
  ].join("\n");
  return reportPage({
    title: `${input.model} sweep ${input.sweep}`,
    body,
    generatedAt: input.generatedAt,
    css: "\ntr.best { background: #e6f4ea; font-weight: 600; }",
  });
}
