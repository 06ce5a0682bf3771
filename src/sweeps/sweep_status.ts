/**
 * What `mmml sweep status` and `mmml sweep run` print: the sweep's state, every trial (state, params,
 * version, metrics as `train --json` has them) and the best completed trial by the sweep's metric.
 */
import type { SplitMetrics } from "./sweep_trial.ts";

export const TRIAL_STATES = ["queued", "running", "completed", "failed", "cancelled"] as const;
export type TrialState = typeof TRIAL_STATES[number];

export interface TrialStatus {
  trial: number;
  state: TrialState;
  params: Record<string, unknown>;
  version: number | null;
  metrics: SplitMetrics | null;
  error?: string;
}

export interface SweepStatus {
  sweep: string;
  /** running while a trial is queued or running; cancelled once cancelled; else completed. */
  state: "running" | "completed" | "cancelled";
  metric: string;
  mode: "min" | "max";
  model: string;
  trials: TrialStatus[];
  best: { trial: number; version: number; metrics: SplitMetrics } | null;
}

/** A new sweep's id: the UTC date and 8 random hex digits, e.g. 20261206-b93b158e. */
export function newSweepId(now = new Date()): string {
  return now.toISOString().slice(0, 10).replaceAll("-", "") + "-" + crypto.randomUUID().slice(0, 8);
}

/** The metric's value in a trial's metrics ("val.macro_f1" -> metrics.val.macro_f1), if it has one. */
export function metricValue(metrics: SplitMetrics | null, metric: string): number | undefined {
  const [split, ...rest] = metric.split(".");
  const value = metrics?.[split as "val" | "test"]?.[rest.join(".")];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The status of a sweep from its trials; the best is the first completed trial with the best value. */
export function sweepStatus(
  { sweep, metric, mode, model, cancelled, trials }: {
    sweep: string;
    metric: string;
    mode: "min" | "max";
    model: string;
    cancelled: boolean;
    trials: TrialStatus[];
  },
): SweepStatus {
  let best: SweepStatus["best"] = null;
  let bestValue = 0;
  for (const t of trials) {
    const value = metricValue(t.metrics, metric);
    if (t.state !== "completed" || value === undefined || t.version === null) continue;
    if (!best || (mode === "max" ? value > bestValue : value < bestValue)) {
      best = { trial: t.trial, version: t.version, metrics: t.metrics! };
      bestValue = value;
    }
  }
  const open = trials.some((t) => t.state === "queued" || t.state === "running");
  return {
    sweep,
    state: cancelled ? "cancelled" : open ? "running" : "completed",
    metric,
    mode,
    model,
    trials,
    best,
  };
}
