/**
 * The report's chart sections: learning curves with the best epoch marked, the confusion-matrix heat
 * map, and one-vs-rest ROC curves. Each returns an HTML <section>; a part that was not recorded leaves
 * a note saying so instead of an empty frame.
 */
import { isClassificationSplit, type MetricsArtifact, type SplitReport } from "../artifacts/metrics_file.ts";
import type { RocArtifact } from "../artifacts/roc_file.ts";
import { PALETTE, SPLIT_COLORS } from "./chart_palette.ts";
import { escapeHtml } from "./escape_html.ts";
import { heatMap } from "./heat_map.ts";
import { chartLegend, lineChart, type LineSeries } from "./line_chart.ts";
import { formatMetric } from "./report_format.ts";

/** The classification split the report describes in detail: test when there is one, else validation. */
export function evaluationSplit(
  metrics: MetricsArtifact,
): { name: "test" | "val"; report: SplitReport } | null {
  if (isClassificationSplit(metrics.test)) return { name: "test", report: metrics.test };
  if (isClassificationSplit(metrics.val)) return { name: "val", report: metrics.val };
  return null;
}

/** Words for a split name in captions. */
export const SPLIT_NAMES = Object.freeze(
  { train: "training", val: "validation", test: "test" } as const satisfies Record<string, string>,
);

/** A <section> with an id (for the contents list), a heading and a body. */
export function section(id: string, title: string, body: string): string {
  return `<section id="${escapeHtml(id)}" aria-labelledby="${escapeHtml(id)}-h">\n` +
    `<h2 id="${escapeHtml(id)}-h">${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

/** A paragraph explaining why something is absent. */
export function note(text: string): string {
  return `<p class="note">${escapeHtml(text)}</p>`;
}

function figure(chart: string, legend: string, caption: string): string {
  return `<figure>\n${chart}\n${legend}\n<figcaption>${caption}</figcaption>\n</figure>`;
}

/** Learning curves: loss and val_loss, accuracy and val_accuracy (and val_macro_f1), per epoch. */
export function learningCurvesSection(
  history: MetricsArtifact["history"],
  { bestEpoch, monitor }: { bestEpoch?: number; monitor?: string } = {},
): string {
  if (history.length === 0) {
    return section("learning-curves", "Learning curves", note("No per-epoch history was recorded."));
  }
  const series = (key: string, name: string, color: string, dashed = false): LineSeries | null => {
    if (!history.some((e) => typeof e[key] === "number")) return null;
    const points = history.map((e, i) => [e.epoch ?? i + 1, e[key] ?? NaN] as const);
    return { name, points, color, dashed };
  };
  const has = (s: LineSeries | null): s is LineSeries => s !== null;
  const marker = bestEpoch && bestEpoch >= 1
    ? { x: bestEpoch, label: `best epoch ${bestEpoch}${monitor ? ` (${monitor})` : ""}` }
    : undefined;
  const epochs = history.length;
  const loss = [
    series("loss", "training loss", SPLIT_COLORS.train),
    series("val_loss", "validation loss", SPLIT_COLORS.val, true),
  ].filter(has);
  const acc = [
    series("accuracy", "training accuracy", SPLIT_COLORS.train),
    series("val_accuracy", "validation accuracy", SPLIT_COLORS.val, true),
    series("val_macro_f1", "validation macro F1", SPLIT_COLORS.extra, true),
  ].filter(has);
  const describe = (s: LineSeries[]) =>
    s.map((x) => {
      const ys = x.points.map(([, y]) => y).filter(Number.isFinite);
      return `${x.name} from ${formatMetric(ys[0])} to ${formatMetric(ys[ys.length - 1])}`;
    }).join("; ") + ` over ${epochs} epoch${epochs === 1 ? "" : "s"}`;
  const common = { xLabel: "epoch", xIntegers: true, marker };
  const figures = [
    loss.length
      ? figure(
        lineChart(loss, {
          ...common,
          id: "chart-loss",
          title: "Loss per epoch",
          yLabel: "loss",
          description: describe(loss),
        }),
        chartLegend(loss),
        "Loss per epoch (training loss includes dropout and class weights).",
      )
      : "",
    acc.length
      ? figure(
        lineChart(acc, {
          ...common,
          id: "chart-accuracy",
          title: "Accuracy per epoch",
          yLabel: "accuracy",
          yDomain: [0, 1],
          description: describe(acc),
        }),
        chartLegend(acc),
        "Accuracy per epoch.",
      )
      : "",
  ];
  return section(
    "learning-curves",
    "Learning curves",
    `<div class="figures">\n${figures.join("\n")}\n</div>`,
  );
}

/** Past this many classes the matrix is listed by its largest mistakes instead of drawn. */
export const MAX_HEAT_MAP_CLASSES = 40;
/** Past this many classes the ROC chart draws only the classes with the lowest AUC. */
export const MAX_ROC_CURVES = 12;

/** The confusion matrix of the evaluation split as a heat map, with the counts also as a table. */
export function confusionSection(metrics: MetricsArtifact, classes: readonly string[]): string {
  const split = evaluationSplit(metrics);
  if (!split) {
    return section("confusion", "Confusion matrix", note("No validation or test rows were scored."));
  }
  const { name, report } = split;
  const labels = report.confusion_matrix.length === classes.length ? classes : Object.keys(report.per_class);
  if (labels.length > MAX_HEAT_MAP_CLASSES) return topConfusions(report, labels, name);
  const chart = heatMap(report.confusion_matrix, {
    id: "chart-confusion",
    title: `Confusion matrix, ${SPLIT_NAMES[name]} split`,
    labels,
  });
  const head = labels.map((l) => `<th scope="col">${escapeHtml(l)}</th>`).join("");
  const rows = report.confusion_matrix.map((row, i) =>
    `<tr><th scope="row">${escapeHtml(labels[i])}</th>${
      row.map((c) => `<td class="num">${c}</td>`).join("")
    }</tr>`
  );
  const table = `<details><summary>The counts as a table</summary>\n<div class="scroll"><table>` +
    `<caption>Rows: true class; columns: predicted class</caption>` +
    `<thead><tr><th scope="col">true \\ predicted</th>${head}</tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table></div></details>`;
  const caption = `${cap(SPLIT_NAMES[name])} split, ${report.n} rows. Rows are true classes, columns ` +
    `predicted ones; the shade is the cell's share of its row, the number its count.`;
  return section("confusion", "Confusion matrix", `${figure(chart, "", escapeHtml(caption))}\n${table}`);
}

/** One-vs-rest ROC curves of the evaluation split, from roc.json. */
export function rocSection(roc: RocArtifact | null | undefined, metrics: MetricsArtifact): string {
  const wanted = evaluationSplit(metrics)?.name ?? "test";
  const name = roc?.splits[wanted] ? wanted : roc?.splits.val ? "val" : roc?.splits.test ? "test" : null;
  if (!roc || !name) {
    return section(
      "roc",
      "ROC curves",
      note(
        "This version has no roc.json (ROC points are computed at train time from predicted probabilities, " +
          "which are not kept), so no ROC curves can be drawn for it.",
      ),
    );
  }
  const split = roc.splits[name]!;
  // Two classes make two mirror-image curves of one AUC: draw the positive (second) class's, as
  // scikit-learn's RocCurveDisplay does.
  const binary = split.curves.length === 2 && split.skipped.length === 0;
  const drawn = binary
    ? [split.curves[1]]
    : split.curves.length > MAX_ROC_CURVES
    ? [...split.curves].sort((a, b) => a.auc - b.auc).slice(0, MAX_ROC_CURVES - 2)
    : split.curves;
  const series: LineSeries[] = drawn.map((c, i) => ({
    name: `${c.class} (AUC ${formatMetric(c.auc)})`,
    points: c.fpr.map((f, j) => [f, c.tpr[j]] as const),
    color: PALETTE[i % PALETTE.length],
  }));
  const chart = lineChart(series, {
    id: "chart-roc",
    title: binary
      ? `ROC curve, "${drawn[0].class}" as the positive class, ${SPLIT_NAMES[name]} split`
      : `ROC curves, one class against the rest, ${SPLIT_NAMES[name]} split`,
    description: drawn.map((c) => `${c.class}: AUC ${formatMetric(c.auc)}`).join("; "),
    xLabel: "false positive rate",
    yLabel: "true positive rate",
    xDomain: [0, 1],
    yDomain: [0, 1],
    diagonal: true,
    showPoints: false,
    width: 460,
    height: 400,
  });
  const skipped = split.skipped.length
    ? ` No curve for ${
      split.skipped.map((s) => `"${s}"`).join(", ")
    }: the split has no rows of it, or only those.`
    : "";
  const subset = drawn.length < split.curves.length
    ? ` Drawn: the ${drawn.length} classes with the lowest AUC of ${split.curves.length}; every class's AUC ` +
      `is in the per-class table.`
    : "";
  const ranks = binary
    ? `the probability of "${drawn[0].class}" ranks the rows (the other class's curve is its mirror image)`
    : "each class's probability ranks it against all others";
  const caption = `${cap(SPLIT_NAMES[name])} split, ${split.n} rows; ${ranks}. The dashed diagonal is a ` +
    `classifier that guesses; AUC is from every row.${subset}${skipped}`;
  return section("roc", "ROC curves", figure(chart, chartLegend(series), escapeHtml(caption)));
}

/** For many classes: the 20 largest off-diagonal counts, as a table (a k*k drawing would be unreadable). */
function topConfusions(report: SplitReport, labels: readonly string[], split: "val" | "test"): string {
  const pairs: { i: number; j: number; count: number }[] = [];
  report.confusion_matrix.forEach((row, i) =>
    row.forEach((count, j) => {
      if (i !== j && count > 0) pairs.push({ i, j, count });
    })
  );
  pairs.sort((a, b) => b.count - a.count || a.i - b.i || a.j - b.j);
  const rows = pairs.slice(0, 20).map(({ i, j, count }) => {
    const total = report.confusion_matrix[i].reduce((a, b) => a + b, 0);
    return `<tr><td>${escapeHtml(labels[i])}</td><td>${
      escapeHtml(labels[j])
    }</td><td class="num">${count}</td>` +
      `<td class="num">${(100 * count / total).toFixed(1)}%</td></tr>`;
  });
  const body = note(
    `${labels.length} classes are too many for a readable heat map; these are the ${rows.length} largest ` +
      `mistakes of the ${SPLIT_NAMES[split]} split (${report.n} rows).`,
  ) +
    `<div class="scroll"><table><caption>Most frequent confusions</caption><thead><tr><th scope="col">true class</th>` +
    `<th scope="col">predicted as</th><th scope="col">rows</th><th scope="col">share of the true class</th></tr>` +
    `</thead><tbody>${rows.join("")}</tbody></table></div>`;
  return section("confusion", "Confusion matrix", body);
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
