/**
 * The training report: one self-contained HTML file (inline CSS and SVG charts; no script, no external
 * font, stylesheet or image) with the run's header facts, key metrics, learning curves, confusion-matrix
 * heat map, per-class metrics, ROC curves, data summary, timings and config. Opens offline in any browser.
 */
import { redactDeep } from "../redact.ts";
import { isClassificationSplit } from "../artifacts/metrics_file.ts";
import { escapeHtml } from "./escape_html.ts";
import { predictionsSection, residualsSection } from "./regression_charts.ts";
import { confusionSection, evaluationSplit, learningCurvesSection, rocSection } from "./report_charts.ts";
import type { ReportInput } from "./report_input.ts";
import { reportPage } from "./report_page.ts";
import {
  configSection,
  dataSection,
  headerSection,
  keyMetricsSection,
  perClassSection,
  timingsSection,
} from "./report_tables.ts";

const SECTIONS = Object.freeze(
  [
    ["metrics", "Key metrics"],
    ["learning-curves", "Learning curves"],
    ["confusion", "Confusion matrix"],
    ["per-class", "Per-class metrics"],
    ["roc", "ROC curves"],
    ["data", "Data"],
    ["timings", "Timings"],
    ["config", "Config"],
  ] as const satisfies readonly (readonly [string, string])[],
);

/** A regression's sections: predicted against actual and residuals instead of confusion, classes, ROC. */
const REGRESSION_SECTIONS = Object.freeze(
  [
    ["metrics", "Key metrics"],
    ["learning-curves", "Learning curves"],
    ["predictions", "Predicted against actual"],
    ["residuals", "Residuals"],
    ["data", "Data"],
    ["timings", "Timings"],
    ["config", "Config"],
  ] as const satisfies readonly (readonly [string, string])[],
);

/** Renders the whole page; pure (no I/O, no clock: `input.generatedAt` stamps it). */
export function renderReport(report: ReportInput): string {
  // A config saved before secrets were kept out of config.json may still hold a registry password.
  const input = { ...report, config: redactDeep(report.config) };
  const { meta, metrics, roc } = input;
  const label = `${meta.name}${meta.version === undefined ? "" : `@${meta.version}`}`;
  const split = evaluationSplit(metrics)?.name;
  const curves = roc && split ? roc.splits[split] : undefined;
  const aucByClass = new Map((curves?.curves ?? []).map((c) => [c.class, c.auc]));
  const regression = [metrics.val, metrics.test].some((r) => r && !isClassificationSplit(r));
  const toc = (regression ? REGRESSION_SECTIONS : SECTIONS)
    .map(([id, title]) => `<li><a href="#${id}">${title}</a></li>`).join("");
  const notes = input.notes?.length
    ? `<ul class="notes">${input.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`
    : "";
  const body = [
    headerSection(meta, metrics, input.generatedAt),
    `<nav class="toc" aria-label="Sections"><ul>${toc}</ul></nav>`,
    notes,
    keyMetricsSection(metrics),
    learningCurvesSection(metrics.history, {
      bestEpoch: meta.timings?.best_epoch,
      monitor: monitorOf(input),
    }),
    ...(regression ? [predictionsSection(input.points, metrics), residualsSection(input.points)] : [
      // Side by side where the page is wide enough: the table explains the matrix.
      `<div class="pair">\n${confusionSection(metrics, meta.classes)}\n${
        perClassSection(metrics, aucByClass)
      }\n</div>`,
      rocSection(roc, metrics),
    ]),
    dataSection(input),
    timingsSection(meta, metrics.history),
    configSection(input.config),
  ].filter(Boolean).join("\n");
  return reportPage({ title: label, body, generatedAt: input.generatedAt });
}

/**
 * The figure that picked the best epoch, as the trainer chose it: the early-stopping monitor when there
 * was a validation split, else the training loss.
 */
function monitorOf({ config, metrics }: ReportInput): string | undefined {
  const hasVal = metrics.history.some((e) => typeof e.val_loss === "number");
  if (!hasVal) return metrics.history.length ? "loss" : undefined;
  const training = (config as { training?: { early_stopping?: { monitor?: unknown } } } | undefined)
    ?.training;
  const monitor = training?.early_stopping?.monitor;
  return typeof monitor === "string" ? monitor : undefined;
}
