import assert from "node:assert/strict";
import { join } from "node:path";
import { artifactFolder } from "../artifacts/artifact_folder.ts";
import { parseDataSummary } from "../artifacts/data_summary_file.ts";
import { parseRocArtifact } from "../artifacts/roc_file.ts";
import { classificationMetrics } from "../evaluation/metrics.ts";
import { sampleReportInput, syntheticScores } from "../../testing/report_input.ts";
import { writeRunReport } from "./write_run_report.ts";

const labelled = (y: Int32Array) => ({ labels: () => y });

Deno.test("writeRunReport writes roc.json, data_summary.json and a report of a not yet numbered version", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_run_report_" });
  try {
    const classes = ["a", "b", "c"];
    const [train, val, test] = [90, 30, 30].map((n, i) => syntheticScores(n, 3, { seed: 20 + i }));
    const sample = sampleReportInput({ classes });
    const { version: _v, created: _c, stages: _s, tags: _t, ...meta } = sample.meta;
    const metrics = {
      ...sample.metrics,
      val: classificationMetrics(val.probs, val.y, 3, classes),
      test: classificationMetrics(test.probs, test.y, 3, classes),
    };
    const files = await writeRunReport(artifactFolder(dir), {
      meta,
      metrics,
      config: sample.config,
      data: {
        classes,
        inputShape: [6],
        train: labelled(train.y),
        val: labelled(val.y),
        test: labelled(test.y),
        testSource: "split",
        artifacts: { schema: sample.schema },
      },
      probs: { val: val.probs, test: test.probs },
      now: new Date("2026-03-04T05:06:07Z"),
    });
    assert.deepEqual(files, ["roc.json", "data_summary.json", "report.html"]);
    const roc = parseRocArtifact(JSON.parse(await Deno.readTextFile(join(dir, "roc.json"))));
    assert.deepEqual(roc.splits.test!.curves.map((c) => c.class), classes);
    const summary = parseDataSummary(JSON.parse(await Deno.readTextFile(join(dir, "data_summary.json"))));
    assert.deepEqual(
      summary.splits.val!.class_counts,
      classes.map((_, c) => val.y.filter((v) => v === c).length),
    );
    assert.equal(summary.splits.train.rows, 90);
    const html = await Deno.readTextFile(join(dir, "report.html"));
    assert.match(html, /\(new version, not yet registered\)/);
    assert.match(html, /rendered <time datetime="2026-03-04T05:06:07.000Z">/);
    assert.equal(
      (html.match(/<path class="series"/g) ?? []).length,
      5 + 3,
      "learning curves and 3 ROC curves",
    );
    assert.match(html, /Input columns \(4\)/, "the schema from the data's artifacts lists the columns");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
