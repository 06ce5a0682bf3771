/**
 * The trials of a sweep: every combination of the parameter lists (grid, in the order the parameters
 * are written, the last one varying fastest), or `trials` seeded draws (random: a list is a uniform
 * choice, a range is sampled by its distribution). Each trial's settings are checked against the config
 * schema here, before anything is queued or trained: a key that is not a config key is an error naming
 * it with the nearest key, and a value the key does not take is the schema's message for it.
 */
import { loadConfig } from "../config/load_config.ts";
import { defaultMode, type SweepConfig, type SweepRange } from "../config/sweep_schema.ts";
import { MmmlError } from "../errors.ts";
import { createRng, type Rng } from "../random.ts";

/** One trial: its number (from 1) and the config keys it sets. */
export interface Trial {
  trial: number;
  params: Record<string, unknown>;
}

/** Most trials a grid may expand to; a bigger one is almost always a mistake in a list. */
export const MAX_TRIALS = 10_000;

const isRange = (p: unknown): p is SweepRange => typeof p === "object" && p !== null && !Array.isArray(p);

function draw(range: SweepRange, rng: Rng): number {
  const u = rng.next();
  if (range.distribution === "uniform") return range.min + u * (range.max - range.min);
  if (range.distribution === "log_uniform") {
    return Math.exp(Math.log(range.min) + u * (Math.log(range.max) - Math.log(range.min)));
  }
  return range.min + Math.floor(u * (range.max - range.min + 1));
}

/** The trials `sweep` asks for, unchecked (planSweep checks them). */
export function expandTrials(sweep: SweepConfig): Trial[] {
  const entries = Object.entries(sweep.parameters);
  if (entries.length === 0) {
    throw new MmmlError(
      "config_invalid",
      "Invalid config: sweep.parameters: the sweep varies nothing; name a key",
    );
  }
  if (sweep.method === "grid") {
    const ranged = entries.filter(([, p]) => isRange(p)).map(([k]) => k);
    if (ranged.length) {
      throw new MmmlError(
        "config_invalid",
        `Invalid config: sweep.parameters.${ranged[0]}: a grid needs a list of values; ranges ` +
          `(distribution: ...) are for method: random`,
      );
    }
    const lists = entries.map(([, p]) => p as unknown[]);
    const count = lists.reduce((n, l) => n * l.length, 1);
    if (count > MAX_TRIALS) {
      throw new MmmlError(
        "config_invalid",
        `Invalid config: sweep: the grid has ${count} trials, over ${MAX_TRIALS}`,
      );
    }
    const trials: Trial[] = [];
    for (let i = 0; i < count; i++) {
      const params: Record<string, unknown> = {};
      let rest = i;
      for (let k = entries.length - 1; k >= 0; k--) {
        params[entries[k][0]] = lists[k][rest % lists[k].length];
        rest = Math.floor(rest / lists[k].length);
      }
      trials.push({ trial: i + 1, params: Object.fromEntries(entries.map(([key]) => [key, params[key]])) });
    }
    return trials;
  }
  if (!sweep.trials) {
    throw new MmmlError(
      "config_invalid",
      "Invalid config: sweep.trials: method random needs a number of trials",
    );
  }
  if (sweep.trials > MAX_TRIALS) {
    throw new MmmlError(
      "config_invalid",
      `Invalid config: sweep.trials: ${sweep.trials} is over ${MAX_TRIALS}`,
    );
  }
  const rng = createRng(sweep.seed);
  return Array.from({ length: sweep.trials }, (_, i) => ({
    trial: i + 1,
    params: Object.fromEntries(
      entries.map((
        [key, p],
      ) => [key, isRange(p) ? draw(p, rng) : (p as unknown[])[rng.int((p as unknown[]).length)]]),
    ),
  }));
}

/** What a sweep is: its settings, trials, and the base config the trials are merged onto. */
export interface SweepPlan {
  metric: string;
  mode: "min" | "max";
  trials: Trial[];
  /** The user's config without its sweep section (LoadedConfig.data), for every trial. */
  base: Record<string, unknown>;
}

/**
 * Expands `sweep` and checks every trial's config against the schema by loading it, so a bad key or
 * value fails at once, naming the parameter.
 */
export async function planSweep(sweep: SweepConfig, base: Record<string, unknown>): Promise<SweepPlan> {
  const { sweep: _drop, ...rest } = base;
  const trials = expandTrials(sweep);
  for (const trial of trials) await trialConfig(rest, trial);
  return { metric: sweep.metric, mode: sweep.mode ?? defaultMode(sweep.metric), trials, base: rest };
}

/** The config of one trial: the base with its parameters set, as `mmml train` would load it. */
export function trialConfig(base: Record<string, unknown>, trial: Trial) {
  return loadConfig({
    base: { source: "sweep config", data: base },
    values: Object.entries(trial.params).map(([key, value]) => ({
      key,
      value,
      source: `sweep.parameters.${key} (trial ${trial.trial}: ${JSON.stringify(value)})`,
    })),
  });
}
