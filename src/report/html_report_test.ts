import assert from "node:assert/strict";
import { renderReport } from "./html_report.ts";
import { sampleReportInput } from "../../testing/report_input.ts";

Deno.test("renderReport has every section, the header facts and the key metrics of both splits", () => {
  const input = sampleReportInput();
  const html = renderReport(input);
  for (
    const id of ["metrics", "learning-curves", "confusion", "per-class", "roc", "data", "timings", "config"]
  ) {
    assert.match(html, new RegExp(`<section id="${id}"`), `section ${id}`);
    assert.match(html, new RegExp(`<a href="#${id}">`), `contents link to ${id}`);
  }
  assert.match(html, /<h1>penguins<span class="version">@3<\/span><\/h1>/);
  assert.match(html, /<dt>Backend<\/dt><dd>wasm \/ fused engine<\/dd>/);
  assert.match(html, /<time datetime="2026-01-02T03:04:05.678Z">/);
  assert.match(html, /sha256 9cc1c345c71bcc9b/);
  assert.match(html, /<dt>Stages<\/dt><dd>production<\/dd>/);
  const { val, test } = input.metrics;
  for (const key of ["accuracy", "macro_f1", "precision", "recall", "auc", "log_loss"] as const) {
    const row = new RegExp(
      `<td class="num">${val![key]!.toFixed(4)}</td><td class="num">${test![key]!.toFixed(4)}</td>`,
    );
    assert.match(html, row, key);
  }
});

Deno.test("renderReport draws learning curves with the best epoch, the heat map, and a ROC curve per class", () => {
  const input = sampleReportInput({ epochs: 9 });
  const html = renderReport(input);
  const best = input.meta.timings.best_epoch;
  assert.equal(
    (html.match(/<g class="marker">/g) ?? []).length,
    2,
    "both learning-curve charts mark the best epoch",
  );
  assert.match(html, new RegExp(`best epoch ${best} \\(val_loss\\)`));
  for (const s of ["training loss", "validation loss", "training accuracy", "validation accuracy"]) {
    const d = new RegExp(`<path class="series" data-series="${s}" d="([^"]+)"`).exec(html);
    assert.ok(d, `series ${s}`);
    assert.equal(d[1].split(/[ML]/).filter((p) => p.trim()).length, 9, `${s}: one point per epoch`);
  }
  const cells = html.match(/<rect class="cell/g) ?? [];
  assert.equal(cells.length, 9);
  const matrix = input.metrics.test!.confusion_matrix.flat();
  const counts = [
    ...html.matchAll(/<rect class="cell[^"]*" data-row="\d+" data-col="\d+" data-count="(\d+)"/g),
  ]
    .map((m) => Number(m[1]));
  assert.deepEqual(counts, matrix);
  const roc = /<svg[^>]*data-chart="chart-roc"[\s\S]*?<\/svg>/.exec(html)![0];
  assert.equal((roc.match(/<path class="series"/g) ?? []).length, 3);
  for (const c of input.roc!.splits.test!.curves) {
    assert.match(html, new RegExp(`${c.class} \\(AUC ${c.auc.toFixed(4)}\\)`));
  }
});

Deno.test("renderReport is self-contained: no script, no external URL, no link or image", () => {
  const html = renderReport(sampleReportInput());
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(/i);
  const urls = [...html.matchAll(/(?:https?:)?\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
  assert.deepEqual(urls.filter((u) => u !== "http://www.w3.org/2000/svg"), []);
});

Deno.test("renderReport escapes class names, column names and config values", () => {
  const evil = `<script>alert("x")</script>`;
  const input = sampleReportInput({ classes: ["ok", evil, "b&c"] });
  input.config = { data: { label: evil } };
  const html = renderReport(input);
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
  assert.match(html, /b&amp;c/);
});

Deno.test("renderReport of a run before registration says so instead of inventing a version", () => {
  const input = sampleReportInput();
  delete input.meta.version;
  delete input.meta.created;
  const html = renderReport(input);
  assert.match(html, /<h1>penguins <span class="version">\(new version, not yet registered\)<\/span><\/h1>/);
  assert.match(html, /not registered yet \(rendered <time datetime="2026-01-02T03:05:00.000Z">/);
  assert.match(html, /<title>penguins · mmml report<\/title>/);
});

Deno.test("renderReport explains what an older version did not record", () => {
  const input = sampleReportInput();
  input.roc = null;
  input.data = null;
  input.metrics.history = [];
  input.config = undefined;
  const html = renderReport(input);
  assert.match(html, /no roc\.json/);
  assert.match(html, /No per-epoch history was recorded/);
  assert.match(html, /Training-split counts were not recorded/);
  assert.match(html, /No config\.json was recorded/);
  // Class balance falls back to the supports in metrics.json.
  const support = Object.values(input.metrics.test!.per_class).map((m) => m.support);
  for (const s of support) assert.match(html, new RegExp(`${s} \\(`));
  assert.doesNotMatch(html, /<abbr title="area under the one-vs-rest ROC curve">/);
});

Deno.test("renderReport uses the validation split when there is no test split", () => {
  const input = sampleReportInput();
  input.metrics.test = null;
  const html = renderReport(input);
  assert.match(html, /Validation split, 60 rows\. Rows are true classes/);
  assert.match(html, /Confusion matrix, validation split/);
  assert.match(html, /ROC curves, one class against the rest, validation split/);
});

Deno.test("renderReport shows the config as YAML and a gap in a diverged loss curve", () => {
  const input = sampleReportInput({ epochs: 4 });
  input.metrics.history[2].loss = null;
  const html = renderReport(input);
  assert.ok(html.includes("<pre><code>data:\n  path: penguins.csv\n  label: species\n"), "config as YAML");
  const d = /<path class="series" data-series="training loss" d="([^"]+)"/.exec(html)![1];
  assert.equal((d.match(/M/g) ?? []).length, 2, `path ${d} restarts after the missing epoch`);
});

Deno.test("renderReport of a many-class model lists the largest confusions and draws the weakest ROC curves", () => {
  const classes = Array.from({ length: 60 }, (_, i) => `class_${i}`);
  const input = sampleReportInput({ classes, rows: 3000, epochs: 3, signal: 1.5 });
  const html = renderReport(input);
  assert.doesNotMatch(html, /<rect class="cell/);
  assert.match(html, /60 classes are too many for a readable heat map; these are the 20 largest mistakes/);
  const cm = input.metrics.test!.confusion_matrix;
  const largest = Math.max(...cm.flatMap((row, i) => row.filter((_, j) => j !== i)));
  assert.match(
    html,
    new RegExp(`<caption>Most frequent confusions</caption>.*?<td class="num">${largest}</td>`, "s"),
  );
  const roc = /<svg[^>]*data-chart="chart-roc"[\s\S]*?<\/svg>/.exec(html)![0];
  assert.equal((roc.match(/<path class="series"/g) ?? []).length, 10);
  const weakest = [...input.roc!.splits.test!.curves].sort((a, b) => a.auc - b.auc)[0];
  assert.match(roc, new RegExp(`data-series="${weakest.class} \\(AUC ${weakest.auc.toFixed(4)}\\)"`));
  assert.match(html, /Drawn: the 10 classes with the lowest AUC of 60/);
  assert.ok(html.length < 400_000, `${html.length} bytes`);
});

Deno.test("renderReport draws one ROC curve for two classes: the positive class's, as scikit-learn does", () => {
  const input = sampleReportInput({ classes: ["benign", "malignant"] });
  const html = renderReport(input);
  const roc = /<svg[^>]*data-chart="chart-roc"[\s\S]*?<\/svg>/.exec(html)![0];
  assert.equal((roc.match(/<path class="series"/g) ?? []).length, 1);
  assert.match(html, /ROC curve, &quot;malignant&quot; as the positive class/);
  assert.doesNotMatch(roc, /benign \(AUC/);
});

Deno.test("renderReport lists the dropped columns and the file's columns that were not used", () => {
  const input = sampleReportInput();
  input.config = { data: { drop_columns: ["id", "sample_date"] } };
  input.dataInfo = {
    file: "penguins.csv",
    rows: 10,
    columns: [...input.schema!.columns.map((c) => c.name), "species", "id", "sample_date", "notes"].map((
      name,
    ) => ({
      name,
    })),
  } as unknown as typeof input.dataInfo;
  const html = renderReport(input);
  assert.match(
    html,
    /<dt>Dropped columns<\/dt><dd><code>id<\/code>, <code>sample_date<\/code> \(data\.drop_columns\)<\/dd>/,
  );
  assert.match(html, /<dt>Columns not used<\/dt><dd><code>notes<\/code><\/dd>/);
});
