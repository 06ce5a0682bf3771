/**
 * The report's text sections: the header facts, key metrics, per-class metrics, data summary, timings
 * and config. Tables carry captions and header scopes so a screen reader can walk them.
 */
import {
  isClassificationSplit,
  type MetricsArtifact,
  type RegressionSplitReport,
  type SplitReport,
} from "../artifacts/metrics_file.ts";
import { stringify as stringifyYaml } from "yaml";
import type { ColumnInfo } from "../data/data_info.ts";
import { escapeHtml } from "./escape_html.ts";
import type { ReportInput, ReportMeta } from "./report_input.ts";
import { evaluationSplit, note, section, SPLIT_NAMES } from "./report_charts.ts";
import { formatCount, formatMetric, formatPercent, formatSeconds, MISSING } from "./report_format.ts";

/** The page heading and the facts about the run. */
export function headerSection(meta: ReportMeta, metrics: MetricsArtifact, generatedAt: string): string {
  const backend = typeof metrics.backend === "object"
    ? metrics.backend.name
    : metrics.backend ?? meta.backend;
  const engine = metrics.engine ? ` / ${metrics.engine} engine` : "";
  const fp = meta.data_fingerprint ?? "";
  const facts: [string, string][] = [
    ["Task", escapeHtml(meta.task)],
    ["Architecture", escapeHtml(meta.arch)],
    ["Created", meta.created ? time(meta.created) : `not registered yet (rendered ${time(generatedAt)})`],
    ["Backend", `${escapeHtml(backend)}${escapeHtml(engine)}`],
    ["Classes", `${meta.classes.length}: ${escapeHtml(clip(meta.classes.join(", "), 160))}`],
    ["Input shape", escapeHtml(`[${(meta.input_shape ?? []).join(", ")}]`)],
    [
      "Data fingerprint",
      fp ? `<code title="sha256 ${escapeHtml(fp)}">${escapeHtml(fp.slice(0, 16))}…</code>` : MISSING,
    ],
  ];
  if (meta.stages?.length) facts.push(["Stages", escapeHtml(meta.stages.join(", "))]);
  if (meta.tags?.length) facts.push(["Tags", escapeHtml(meta.tags.join(", "))]);
  const version = meta.version === undefined
    ? ` <span class="version">(new version, not yet registered)</span>`
    : `<span class="version">@${meta.version}</span>`;
  const dl = facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("\n");
  return `<header class="report-header">\n<p class="eyebrow">mmml training report</p>\n` +
    `<h1>${escapeHtml(meta.name)}${version}</h1>\n<dl class="facts">\n${dl}\n</dl>\n</header>`;
}

const KEY_METRICS = Object.freeze(
  [
    ["n", "Rows"],
    ["accuracy", "Accuracy"],
    ["macro_f1", "Macro F1"],
    ["precision", "Precision (macro)"],
    ["recall", "Recall (macro)"],
    ["auc", "ROC AUC"],
    ["log_loss", "Log loss"],
  ] as const satisfies readonly (readonly [keyof SplitReport, string])[],
);

const REGRESSION_KEY_METRICS = Object.freeze(
  [
    ["n", "Rows"],
    ["rmse", "RMSE"],
    ["mae", "MAE"],
    ["r2", "R²"],
    ["mape", "MAPE"],
    ["target_mean", "Target mean"],
    ["target_std", "Target std"],
  ] as const satisfies readonly (readonly [keyof RegressionSplitReport, string])[],
);

/** Validation and test figures side by side, and the notes that qualify them. */
export function keyMetricsSection(metrics: MetricsArtifact): string {
  const splits = (["val", "test"] as const).filter((s) => metrics[s]);
  if (splits.length === 0) {
    return section("metrics", "Key metrics", note("No validation or test rows were scored."));
  }
  const classes = splits.every((s) => isClassificationSplit(metrics[s]));
  const head = splits.map((s) => `<th scope="col">${SPLIT_NAMES[s]}</th>`).join("");
  const table: readonly (readonly [string, string])[] = classes ? KEY_METRICS : REGRESSION_KEY_METRICS;
  const rows = table.map(([key, label]) => {
    const cells = splits.map((s) => {
      const v = (metrics[s] as Record<string, unknown>)[key] as number | null;
      return `<td class="num">${key === "n" ? formatCount(v) : formatMetric(v)}</td>`;
    });
    return `<tr><th scope="row">${label}</th>${cells.join("")}</tr>`;
  });
  const notes = splits.flatMap((s) => {
    const report = metrics[s];
    return isClassificationSplit(report) ? report.notes.map((n) => `${SPLIT_NAMES[s]}: ${n}`) : [];
  });
  const source = metrics.test_source && metrics.test_source !== "split"
    ? `<p class="note">Test rows come from ${escapeHtml(metrics.test_source)}.</p>`
    : "";
  const notesHtml = notes.length
    ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`
    : "";
  return section(
    "metrics",
    "Key metrics",
    `<table class="metrics"><caption>Scored on held-out rows after training</caption>` +
      `<thead><tr><th scope="col">metric</th>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>` +
      source + notesHtml,
  );
}

/** Precision, recall, F1, support (and AUC where roc.json has it) of each class on the evaluation split. */
export function perClassSection(metrics: MetricsArtifact, aucByClass: Map<string, number>): string {
  const split = evaluationSplit(metrics);
  if (!split) {
    return section("per-class", "Per-class metrics", note("No validation or test rows were scored."));
  }
  const withAuc = aucByClass.size > 0;
  const rows = Object.entries(split.report.per_class).map(([name, m]) =>
    `<tr><th scope="row">${escapeHtml(name)}</th><td class="num">${formatMetric(m.precision)}</td>` +
    `<td class="num">${formatMetric(m.recall)}</td>` +
    `<td class="num bar-cell"><span class="bar" style="width:${(100 * clamp01(m.f1)).toFixed(1)}%"></span>` +
    `<span class="bar-value">${formatMetric(m.f1)}</span></td>` +
    `<td class="num">${formatCount(m.support)}</td>` +
    (withAuc ? `<td class="num">${formatMetric(aucByClass.get(name))}</td>` : "") + `</tr>`
  );
  return section(
    "per-class",
    "Per-class metrics",
    `<div class="scroll"><table><caption>${SPLIT_NAMES[split.name]} split, ${split.report.n} rows</caption>` +
      `<thead><tr><th scope="col">class</th><th scope="col">precision</th><th scope="col">recall</th>` +
      `<th scope="col">F1</th><th scope="col">support</th>${
        withAuc ? `<th scope="col"><abbr title="area under the one-vs-rest ROC curve">AUC</abbr></th>` : ""
      }` +
      `</tr></thead><tbody>${rows.join("")}</tbody></table></div>`,
  );
}

/**
 * Columns of the training data that are not features: those the config dropped, and (when the training
 * file was read again) any other column of the file that is neither a feature nor the label.
 */
export function leftOutColumns(input: ReportInput): { dropped: string[]; unused: string[] } {
  const config = input.config as { data?: { drop_columns?: unknown } } | undefined;
  const raw = config?.data?.drop_columns;
  const dropped = Array.isArray(raw) ? raw.filter((c): c is string => typeof c === "string") : [];
  const used = new Set([
    ...(input.schema?.columns.map((c) => c.name) ?? []),
    input.schema?.label,
    ...dropped,
  ]);
  const unused = input.schema && input.dataInfo
    ? input.dataInfo.columns.map((c) => c.name).filter((name) => !used.has(name))
    : [];
  return { dropped, unused };
}

/** Rows per split, class balance, and the input columns (with statistics when the file was read again). */
export function dataSection(input: ReportInput): string {
  const { data, metrics, schema, dataInfo, meta } = input;
  const classes = data?.classes ?? meta.classes;
  const parts: string[] = [];
  const counts: { split: keyof typeof SPLIT_NAMES; rows: number; perClass: number[] }[] = [];
  if (data) {
    for (const s of ["train", "val", "test"] as const) {
      const split = data.splits[s];
      if (split) counts.push({ split: s, rows: split.rows, perClass: split.class_counts });
    }
  } else {
    for (const s of ["val", "test"] as const) {
      const r = metrics[s];
      if (isClassificationSplit(r)) {
        counts.push({
          split: s,
          rows: r.n,
          perClass: classes.map((c) => r.per_class[c]?.support ?? 0),
        });
      }
    }
  }
  const facts: [string, string][] = [];
  if (data) {
    const shape = data.input_shape;
    const size = shape.reduce((a, b) => a * b, 1);
    facts.push([
      "Model input",
      shape.length === 1
        ? `${formatCount(size)} values (after encoding)`
        : escapeHtml(`[${shape.join(", ")}]`),
    ]);
  }
  if (schema) {
    facts.push(["Input columns", formatCount(schema.columns.length)], [
      "Label",
      `<code>${escapeHtml(schema.label)}</code>`,
    ]);
    const { dropped, unused } = leftOutColumns(input);
    const list = (names: string[]) => names.map((n) => `<code>${escapeHtml(n)}</code>`).join(", ");
    if (dropped.length) facts.push(["Dropped columns", `${list(dropped)} (data.drop_columns)`]);
    if (unused.length) facts.push(["Columns not used", list(unused)]);
  }
  if (dataInfo) {
    facts.push(["File", `<code>${escapeHtml(dataInfo.file)}</code>, ${formatCount(dataInfo.rows)} rows`]);
  }
  facts.push(
    ...counts.map((c): [string, string] => [`${cap(SPLIT_NAMES[c.split])} rows`, formatCount(c.rows)]),
  );
  parts.push(
    `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("")}</dl>`,
  );
  if (!data) {
    parts.push(note("Training-split counts were not recorded for this version (no data_summary.json)."));
  }
  if (counts.length) {
    const head = counts.map((c) => `<th scope="col">${SPLIT_NAMES[c.split]}</th>`).join("");
    const rows = classes.map((name, i) =>
      `<tr><th scope="row">${escapeHtml(name)}</th>${
        counts.map((c) => {
          const n = c.perClass[i] ?? 0;
          const share = c.rows > 0 ? n / c.rows : 0;
          return `<td class="num bar-cell"><span class="bar" style="width:${
            (100 * share).toFixed(1)
          }%"></span>` +
            `<span class="bar-value">${formatCount(n)} (${formatPercent(n, c.rows)})</span></td>`;
        }).join("")
      }</tr>`
    );
    parts.push(
      `<div class="scroll"><table class="balance"><caption>Class balance: rows of each class per split</caption>` +
        `<thead><tr><th scope="col">class</th>${head}</tr></thead><tbody>${
          rows.join("")
        }</tbody></table></div>`,
    );
  }
  if (dataInfo) parts.push(columnStatsTable(dataInfo.columns));
  else if (schema) {
    const rows = schema.columns.map((c) =>
      `<tr><th scope="row"><code>${escapeHtml(c.name)}</code></th><td>${escapeHtml(c.type)}</td>` +
      `<td class="num">${c.categories ? formatCount(c.categories.length) : MISSING}</td>` +
      `<td>${c.nullable ? "yes" : "no"}</td></tr>`
    );
    parts.push(
      `<details><summary>Input columns (${schema.columns.length})</summary><div class="scroll"><table>` +
        `<thead><tr><th scope="col">column</th><th scope="col">type</th><th scope="col">categories</th>` +
        `<th scope="col">may be missing</th></tr></thead><tbody>${
          rows.join("")
        }</tbody></table></div></details>`,
    );
  }
  return section("data", "Data", parts.join("\n"));
}

function columnStatsTable(columns: readonly ColumnInfo[]): string {
  const summary = (c: ColumnInfo) =>
    c.top
      ? c.top.map((t) => `${t.value} ${t.count}`).join(", ") + (c.distinct > c.top.length ? ", …" : "")
      : c.min === undefined
      ? "no values"
      : `min ${num(c.min)}, max ${num(c.max!)}, mean ${num(c.mean!)}, std ${num(c.std!)}`;
  const rows = columns.map((c) =>
    `<tr><th scope="row"><code>${escapeHtml(c.name)}</code>${c.role === "label" ? " (label)" : ""}</th>` +
    `<td>${escapeHtml(c.type)}</td><td class="num">${formatCount(c.missing)}</td>` +
    `<td class="num">${formatCount(c.distinct)}</td><td>${escapeHtml(clip(summary(c), 120))}` +
    `${c.warning ? ` <strong class="warn">${escapeHtml(c.warning)}</strong>` : ""}</td></tr>`
  );
  return `<details><summary>Columns of the training file (${columns.length})</summary><div class="scroll"><table>` +
    `<thead><tr><th scope="col">column</th><th scope="col">type</th><th scope="col">missing</th>` +
    `<th scope="col">distinct</th><th scope="col">summary</th></tr></thead><tbody>${rows.join("")}</tbody>` +
    `</table></div></details>`;
}

/** Load, preprocess and train times, throughput, and epoch wall times from the history. */
export function timingsSection(meta: ReportMeta, history: MetricsArtifact["history"]): string {
  const t = meta.timings ?? {};
  const seconds = history.map((e) => e.seconds).filter((s): s is number => typeof s === "number");
  const total = seconds.reduce((a, b) => a + b, 0);
  const rows: [string, string][] = [
    ["Loading data", formatSeconds(t.load_seconds)],
    ["Preprocessing", formatSeconds(t.preprocess_seconds)],
    ["Training steps", formatSeconds(t.train_seconds)],
    [
      "Throughput",
      t.samples_per_second === undefined ? MISSING : `${formatCount(t.samples_per_second)} samples/s`,
    ],
    ["Epochs run", formatCount(t.epochs_run ?? (history.length || undefined))],
    ["Best epoch", formatCount(t.best_epoch)],
    ["Epoch wall time (mean)", seconds.length ? formatSeconds(total / seconds.length) : MISSING],
    ["Epoch wall time (total, validation included)", seconds.length ? formatSeconds(total) : MISSING],
  ];
  return section(
    "timings",
    "Timings",
    `<table class="metrics"><caption>Training steps exclude batch loading, validation and callbacks</caption>` +
      `<tbody>${
        rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td class="num">${v}</td></tr>`).join("")
      }` +
      `</tbody></table>`,
  );
}

/** The effective config as YAML, folded away. */
export function configSection(config: unknown): string {
  if (config === undefined || config === null) {
    return section("config", "Config", note("No config.json was recorded."));
  }
  const yaml = stringifyYaml(config, { lineWidth: 0 });
  return section(
    "config",
    "Config",
    `<details><summary>Effective config (YAML, every default filled in)</summary>` +
      `<pre><code>${escapeHtml(yaml)}</code></pre></details>`,
  );
}

function time(iso: string): string {
  return `<time datetime="${escapeHtml(iso)}">${
    escapeHtml(iso.replace("T", " ").replace(/\.\d+Z$/, "Z"))
  }</time>`;
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
