/**
 * What every classification task shares (CSV rows or images): a softmax head trained with cross-entropy,
 * macro F1 beside val_loss, and scikit-learn's classification report per split.
 */
import { classificationMetrics, type ClassificationReport, flattenMetrics } from "../evaluation/metrics.ts";
import { CLASSIFICATION } from "../training/objective.ts";
import type { TaskRules } from "./task_rules.ts";

/** The figures `train --json` prints per split. */
export const CLASSIFICATION_SCALARS = [
  "accuracy",
  "macro_f1",
  "weighted_f1",
  "precision",
  "recall",
  "auc",
  "log_loss",
];

/** The classification part of a task's rules. */
export const CLASSIFICATION_RULES = Object.freeze(
  {
    modelOutput: "softmax",
    defaults: {},
    autoWeightDecay: () => 0,
    objective: () => CLASSIFICATION,
    valMetrics: () => (probs, y, k) => ({ macro_f1: classificationMetrics(probs, y, k).macro_f1 }),
    report: (probs, source, data) =>
      classificationMetrics(probs, source.labels(), data.classes.length, data.classes),
    flatten: (report, prefix) => flattenMetrics(report as ClassificationReport, { prefix }),
    scalars(report) {
      if (!report) return {};
      const flat = flattenMetrics(report as ClassificationReport);
      return Object.fromEntries(
        CLASSIFICATION_SCALARS.filter((k) => typeof flat[k] === "number").map((k) => [k, flat[k]]),
      );
    },
  } as const satisfies Pick<
    TaskRules,
    | "modelOutput"
    | "defaults"
    | "autoWeightDecay"
    | "objective"
    | "valMetrics"
    | "report"
    | "flatten"
    | "scalars"
  >,
);
