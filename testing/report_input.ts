/**
 * Test helper: a ReportInput built the way training builds one, from seeded synthetic probabilities
 * (a softmax over noisy logits that favour the true class) run through the real metrics, ROC and data
 * summary code, so report tests exercise real figures without training a model.
 */
import { createRng } from "../src/random.ts";
import { classificationMetrics } from "../src/evaluation/metrics.ts";
import { buildDataSummary } from "../src/report/data_summary.ts";
import type { MetricsArtifact, SplitReport } from "../src/artifacts/metrics_file.ts";
import type { ReportInput } from "../src/report/report_input.ts";

/** A report input whose splits are classification reports (what every sample here makes). */
export type ClassificationReportInput = ReportInput & {
  metrics: MetricsArtifact & { val: SplitReport | null; test: SplitReport | null };
};
import { buildRocArtifact } from "../src/report/roc_artifact.ts";

function labelled(y: Int32Array) {
  return { labels: () => y };
}

/** Options of sampleReportInput. */
export interface SampleOptions {
  classes?: string[];
  rows?: number;
  epochs?: number;
  seed?: number;
  /** How strongly the logits favour the true class; higher is a better model. */
  signal?: number;
}

/** Probabilities and labels of one split. */
export function syntheticScores(
  rows: number,
  k: number,
  { seed = 1, signal = 2 }: { seed?: number; signal?: number } = {},
): { probs: Float32Array; y: Int32Array } {
  const rng = createRng(seed);
  const y = new Int32Array(rows);
  const probs = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++) {
    // Uneven classes (class c about (c + 1) times as common) so class balance shows in the report.
    let c = 0;
    let r = rng.next() * (k * (k + 1)) / 2;
    while (r >= c + 1 && c < k - 1) r -= ++c;
    y[i] = c;
    const logits = Array.from({ length: k }, (_, j) => rng.normal() + (j === c ? signal : 0));
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, j) => (probs[i * k + j] = e / sum));
  }
  return { probs, y };
}

/** A complete ReportInput: meta, metrics with history, config, schema, roc.json and data summary. */
export function sampleReportInput(
  { classes = ["Adelie", "Chinstrap", "Gentoo"], rows = 60, epochs = 12, seed = 7, signal = 2 }:
    SampleOptions = {},
): ClassificationReportInput {
  const k = classes.length;
  const val = syntheticScores(rows, k, { seed, signal });
  const test = syntheticScores(rows, k, { seed: seed + 1, signal });
  const train = syntheticScores(rows * 4, k, { seed: seed + 2, signal });
  const history = Array.from({ length: epochs }, (_, i) => {
    const t = (i + 1) / epochs;
    return {
      epoch: i + 1,
      loss: 1.1 * Math.exp(-2.5 * t) + 0.15,
      accuracy: 0.4 + 0.5 * (1 - Math.exp(-3 * t)),
      // Falls, then rises again (overfitting), so the best epoch lies inside the run.
      val_loss: Math.exp(-3 * t) + 0.25 + 0.25 * t * t,
      val_accuracy: 0.45 + 0.4 * (1 - Math.exp(-3 * t)),
      val_macro_f1: 0.4 + 0.42 * (1 - Math.exp(-3 * t)),
      seconds: 0.02 + 0.001 * i,
      lr: 0.001,
    };
  });
  const bestEpoch = history.reduce((b, e) => (e.val_loss < b.val_loss ? e : b)).epoch;
  const columns = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "island"];
  return {
    meta: {
      name: "penguins",
      version: 3,
      task: "tabular",
      arch: "mlp",
      created: "2026-01-02T03:04:05.678Z",
      backend: "wasm",
      classes,
      metrics: {},
      timings: {
        load_seconds: 0.0123,
        preprocess_seconds: 0.0045,
        train_seconds: 0.9,
        samples_per_second: 12345.6,
        epochs_run: epochs,
        best_epoch: bestEpoch,
      },
      data_fingerprint: "9cc1c345c71bcc9b486b74cbf6063fa66f4bb5e0f603a4b3c3471ec2e5e8e355",
      input_shape: [6],
      stages: ["production"],
      tags: [],
    },
    metrics: {
      val: classificationMetrics(val.probs, val.y, k, classes),
      test: classificationMetrics(test.probs, test.y, k, classes),
      test_source: "split",
      history,
      engine: "fused",
      engine_reason: "auto: a dense stack on a CPU backend",
      backend: { name: "wasm", reason: "requested" },
    },
    config: {
      data: { path: "penguins.csv", label: "species" },
      model: { arch: "mlp", hidden: [32, 16] },
      training: { epochs, early_stopping: { monitor: "val_loss" } },
    },
    schema: {
      columns: columns.map((name) => ({
        name,
        type: name === "island" ? "categorical" as const : "numeric" as const,
        nullable: true,
        required: true,
        ...(name === "island" ? { categories: ["Biscoe", "Dream", "Torgersen"] } : {}),
      })),
      label: "species",
      classes,
    },
    roc: buildRocArtifact({ val, test }, classes),
    data: buildDataSummary({
      classes,
      inputShape: [6],
      train: labelled(train.y),
      val: labelled(val.y),
      test: labelled(test.y),
      testSource: "split",
    }),
    generatedAt: "2026-01-02T03:05:00.000Z",
  };
}
