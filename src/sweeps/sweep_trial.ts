/**
 * One sweep trial, trained exactly as `mmml train` trains a config: the sweep's base config with the
 * trial's keys set, loaded by the same loader (so task defaults apply the same way), published into the
 * sweep's registry under the key `sweep:<id>:trial:<n>`. Running a trial again (its worker died after
 * publishing, or two workers hold it) trains nothing new once that key has a version, and a publish
 * racing another one under the same key keeps the first (RegisterOptions.key).
 */
import type { Logger } from "../log.ts";
import type { HubOptions } from "../hub/hf_hub.ts";
import type { ModelVersion, Registry } from "../registry/registry_types.ts";
import { modelName, runTraining } from "../runs/train.ts";
import { type Trial, trialConfig } from "./sweep_plan.ts";

/** Metrics shaped as `mmml train --json` prints them. */
export type SplitMetrics = { val: Record<string, number>; test: Record<string, number> };

/** How a trial ended. */
export interface TrialOutcome {
  version: number;
  metrics: SplitMetrics;
  /** True when an earlier run of the trial had published it already. */
  reused: boolean;
}

export const publishKey = (sweepId: string, trial: number) => `sweep:${sweepId}:trial:${trial}`;

/** A version's flattened metrics ("val.accuracy") back in `train --json`'s shape. */
export function splitMetrics(flat: Record<string, number>): SplitMetrics {
  const out: SplitMetrics = { val: {}, test: {} };
  for (const [key, value] of Object.entries(flat)) {
    const [split, ...rest] = key.split(".");
    if (split === "val" || split === "test") out[split][rest.join(".")] = value;
  }
  return out;
}

/** The version a trial published, if any. */
export async function publishedTrial(
  registry: Registry,
  name: string,
  sweepId: string,
  trial: number,
): Promise<ModelVersion | undefined> {
  const key = publishKey(sweepId, trial);
  return (await registry.list(name)).find((v) => v.meta.publish_key === key);
}

export async function runTrial(
  { sweepId, metric, mode, base, trial, registry, logger, hub }: {
    sweepId: string;
    metric: string;
    mode: "min" | "max";
    base: Record<string, unknown>;
    trial: Trial;
    registry: Registry;
    logger: Logger;
    hub?: HubOptions;
  },
): Promise<TrialOutcome> {
  const loaded = await trialConfig(base, trial);
  const config = { ...loaded.config, registry: { ...loaded.config.registry, path: registry.location } };
  const done = await publishedTrial(registry, modelName(config), sweepId, trial.trial);
  if (done) {
    logger.info(
      `sweep ${sweepId} trial ${trial.trial} was published already as ${done.meta.name}@${done.meta.version}`,
    );
    return { version: done.meta.version, metrics: splitMetrics(done.meta.metrics), reused: true };
  }
  logger.info(`sweep ${sweepId} trial ${trial.trial}`, { params: trial.params });
  const result = await runTraining(config, {
    registry,
    logger,
    explicit: loaded.explicit,
    hub,
    publish: {
      key: publishKey(sweepId, trial.trial),
      sweep: { id: sweepId, trial: trial.trial, params: trial.params, metric, mode },
    },
  });
  return { version: result.version, metrics: result.metrics, reused: false };
}
