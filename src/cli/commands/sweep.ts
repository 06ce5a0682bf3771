/**
 * `mmml sweep run | submit | status | cancel`: hyperparameter sweeps from a config file's `sweep:` section
 * (src/config/sweep_schema.ts).
 *
 *   mmml sweep run --config F [--registry R] [--set K=V]... [--json]      trials one after another, here
 *   mmml sweep submit --config F --registry postgres://... [--json]        one job per trial on the queue
 *   mmml sweep status ID --registry postgres://... [--json]
 *   mmml sweep cancel ID --registry postgres://... [--json]
 *   mmml sweep report ID [--registry R] [--out FILE]                      HTML: metric per trial and parameter
 *
 * Submitted trials are trained by `mmml worker` processes (worker.ts) on any machine that reaches the
 * database and the data path (stored absolute). Every trial is trained as `mmml train` trains a config and
 * publishes a version carrying `sweep: {id, trial, params}`.
 */
import { closestMatch } from "../../closest_match.ts";
import { type CommandSpec, CONFIG_FILE_FLAGS, formatHelp, JSON_FLAG, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import { loadConfig } from "../../config/load_config.ts";
import { MmmlError } from "../../errors.ts";
import { isPostgresUrl } from "../../registry/open_registry.ts";
import { modelName } from "../../runs/train.ts";
import { planSweep, type SweepPlan, trialConfig } from "../../sweeps/sweep_plan.ts";
import {
  metricValue,
  newSweepId,
  type SweepStatus,
  sweepStatus,
  type TrialStatus,
} from "../../sweeps/sweep_status.ts";
import { formatParamValue } from "../../report/report_format.ts";
import { runTrial, splitMetrics } from "../../sweeps/sweep_trial.ts";
import { defaultMode } from "../../config/sweep_schema.ts";
import { renderSweepReport } from "../../report/sweep_report.ts";
import { writeAtomically } from "./write_atomically.ts";
import { cwdPath, hubOptions, openRegistry } from "./model_flags.ts";
import { formatNumber, formatTable } from "./registry_table.ts";

const URL_FLAG = {
  type: "string",
  valueName: "URL",
  description: "the registry (postgres://... for the queue)",
} as const;

export const SWEEP_SPECS = {
  run: {
    name: "sweep run",
    summary: "Run a config's sweep here, trial after trial, into the registry (SQLite or PostgreSQL).",
    flags: { ...CONFIG_FILE_FLAGS, registry: { ...URL_FLAG, valueName: "DIR|URL" }, json: JSON_FLAG },
  },
  submit: {
    name: "sweep submit",
    summary: "Queue one job per trial in a PostgreSQL registry's database, for `mmml worker` processes.",
    flags: { ...CONFIG_FILE_FLAGS, registry: URL_FLAG, json: JSON_FLAG },
  },
  status: {
    name: "sweep status",
    summary: "Each trial's state, params, version and metrics, and the best trial so far.",
    flags: { registry: URL_FLAG, json: JSON_FLAG },
    positionals: ["ID"],
  },
  cancel: {
    name: "sweep cancel",
    summary: "Cancel a submitted sweep's queued trials (a trial being trained finishes).",
    flags: { registry: URL_FLAG, json: JSON_FLAG },
    positionals: ["ID"],
  },
  report: {
    name: "sweep report",
    summary: "Write an HTML page of a sweep's trials: the metric per trial and against each parameter.",
    flags: {
      registry: { ...URL_FLAG, valueName: "DIR|URL" },
      out: { type: "string", short: "o", valueName: "FILE", description: "the page (default sweep-ID.html)" },
      json: JSON_FLAG,
    },
    positionals: ["ID"],
  },
} as const satisfies Record<string, CommandSpec>;

type Sub = keyof typeof SWEEP_SPECS;
const SUBCOMMANDS = Object.keys(SWEEP_SPECS) as Sub[];

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h") {
    ctx.stdout(SUBCOMMANDS.map((s) => formatHelp(SWEEP_SPECS[s])).join("\n"));
    return 0;
  }
  if (sub === undefined || !Object.hasOwn(SWEEP_SPECS, sub)) {
    const near = sub === undefined ? undefined : closestMatch(sub, SUBCOMMANDS);
    const got = sub === undefined ? "none" : `"${sub}"${near ? ` (did you mean "${near}"?)` : ""}`;
    throw new MmmlError("usage", `mmml sweep needs a subcommand: ${SUBCOMMANDS.join("|")}; received ${got}`);
  }
  const spec: CommandSpec = SWEEP_SPECS[sub as Sub];
  const parsed = parseCommandArgs(rest, spec);
  if (parsed.help) {
    ctx.stdout(formatHelp(spec));
    return 0;
  }
  const values = parsed.values as Record<string, unknown>;
  const json = values.json === true;
  if (sub === "run" || sub === "submit") {
    const { plan, model, registry, lease, retries } = await readSweep(values, ctx);
    if (sub === "run") return print(await runHere(plan, model, registry, ctx), json, ctx);
    const url = needsPostgres(registry, "submit");
    const { openSweepQueue } = await import("../../sweeps/sweep_queue.ts");
    const queue = await openSweepQueue(url, { create: true });
    try {
      const id = await queue.submit(plan, { model, leaseSeconds: lease, retries });
      if (json) ctx.stdout(JSON.stringify({ sweep: id, trials: plan.trials.length }) + "\n");
      else {ctx.stdout(
          `sweep ${id}: ${plan.trials.length} trials queued; run mmml worker --registry URL to train them\n`,
        );}
      return 0;
    } finally {
      await queue.close();
    }
  }
  const [id] = parsed.positionals;
  if (sub === "report") return await writeReport(id, values, ctx);
  const url = needsPostgres(values.registry as string | undefined, sub);
  const { openSweepQueue } = await import("../../sweeps/sweep_queue.ts");
  const queue = await openSweepQueue(url, { create: false });
  try {
    return print(sub === "status" ? await queue.status(id) : await queue.cancel(id), json, ctx);
  } finally {
    await queue.close();
  }
}

/** The sweep of `--config` files: validated, every trial's config checked, data path made absolute. */
async function readSweep(values: Record<string, unknown>, ctx: CliContext) {
  const files = (values.config as string[] | undefined) ?? [];
  if (!files.length) throw new MmmlError("usage", "mmml sweep needs --config FILE with a sweep: section");
  const loaded = await loadConfig({ files, sets: values.set as string[], cwd: ctx.cwd, logger: ctx.logger });
  const { sweep } = loaded.config;
  if (!sweep) {
    throw new MmmlError(
      "usage",
      `${files.join(", ")} has no sweep: section (metric, method and parameters); see README "Sweeps"`,
    );
  }
  const base = structuredClone(loaded.data);
  const data = (base.data ?? {}) as Record<string, unknown>;
  if (typeof data.path === "string") base.data = { ...data, path: cwdPath(data.path, ctx) };
  const plan = await planSweep(sweep, base);
  const first = await trialConfig(plan.base, plan.trials[0]);
  const registry = (values.registry as string | undefined) ?? loaded.config.registry.path;
  return {
    plan,
    model: modelName(first.config),
    registry,
    lease: sweep.lease_seconds,
    retries: sweep.retries,
  };
}

function needsPostgres(registry: string | undefined, sub: string): string {
  if (registry && isPostgresUrl(registry)) return registry;
  throw new MmmlError(
    "usage",
    `mmml sweep ${sub} works on the job queue of a PostgreSQL registry (--registry postgres://...); ` +
      `received ${registry ? `"${registry}"` : "no --registry"}. ` +
      (sub === "submit" ? "On one machine, mmml sweep run trains the trials here, on any registry." : ""),
  );
}

/** Every trial here, in order; a failed trial is recorded and the sweep goes on. */
async function runHere(
  plan: SweepPlan,
  model: string,
  location: string,
  ctx: CliContext,
): Promise<SweepStatus> {
  const id = newSweepId();
  const registry = await openRegistry(location, ctx);
  const trials: TrialStatus[] = [];
  try {
    ctx.logger.info(`sweep ${id}: ${plan.trials.length} trials of ${model}, ${plan.mode} ${plan.metric}`);
    for (const trial of plan.trials) {
      try {
        const done = await runTrial({
          sweepId: id,
          metric: plan.metric,
          mode: plan.mode,
          base: plan.base,
          trial,
          registry,
          logger: ctx.logger,
          hub: hubOptions(ctx),
        });
        trials.push({ ...trial, state: "completed", version: done.version, metrics: done.metrics });
      } catch (err) {
        if (!(err instanceof MmmlError)) throw err;
        ctx.logger.error(`sweep ${id} trial ${trial.trial} failed: ${err.message}`);
        trials.push({ ...trial, state: "failed", version: null, metrics: null, error: err.message });
      }
    }
  } finally {
    await registry.close();
  }
  return sweepStatus({ sweep: id, metric: plan.metric, mode: plan.mode, model, cancelled: false, trials });
}

function print(status: SweepStatus, json: boolean, ctx: CliContext): number {
  if (json) {
    ctx.stdout(JSON.stringify(status) + "\n");
    return 0;
  }
  const rows = status.trials.map((t) => [
    String(t.trial),
    t.state,
    Object.entries(t.params).map(([k, v]) =>
      `${k}=${typeof v === "string" ? JSON.stringify(v) : formatParamValue(v)}`
    ).join(" "),
    t.version === null ? "-" : `${status.model}@${t.version}`,
    formatNumber(metricValue(t.metrics, status.metric)),
  ]);
  ctx.stdout(
    `sweep ${status.sweep} (${status.state}): ${status.mode} ${status.metric}\n` +
      formatTable([["trial", "state", "params", "version", status.metric], ...rows], { rightAlign: [0, 4] }) +
      (status.best
        ? `best: trial ${status.best.trial}, ${status.model}@${status.best.version}\n`
        : "best: none yet\n"),
  );
  return 0;
}

/** The sweep's page, from the versions its trials published (so it works for sweep run and the queue). */
async function writeReport(id: string, values: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const registry = await openRegistry(values.registry as string | undefined, ctx);
  let versions;
  try {
    versions = (await registry.list()).filter((v) => v.meta.sweep?.id === id);
  } finally {
    await registry.close();
  }
  if (!versions.length) {
    throw new MmmlError("model_not_found", `No version of ${registry.location} came from sweep ${id}`);
  }
  const first = versions[0].meta;
  const metric = first.sweep!.metric ?? Object.keys(first.metrics).find((k) => k.startsWith("val.")) ??
    "val.loss";
  const mode = first.sweep!.mode ?? defaultMode(metric);
  const trials = versions.map((v) => ({
    trial: v.meta.sweep!.trial,
    state: "completed" as const,
    params: v.meta.sweep!.params,
    version: v.meta.version,
    metrics: splitMetrics(v.meta.metrics),
  })).sort((a, b) => a.trial - b.trial);
  // The best trial as `sweep status` and `sweep run` choose it.
  const { best } = sweepStatus({ sweep: id, metric, mode, model: first.name, cancelled: false, trials });
  const html = renderSweepReport({
    sweep: id,
    model: first.name,
    metric,
    mode,
    best: best?.trial ?? null,
    generatedAt: new Date().toISOString(),
    trials: trials.map((t) => ({ ...t, value: metricValue(t.metrics, metric) })),
  });
  const out = cwdPath((values.out as string | undefined) ?? `sweep-${id}.html`, ctx);
  await writeAtomically(out, html, "--out");
  if (values.json === true) {
    ctx.stdout(JSON.stringify({ sweep: id, path: out, trials: versions.length }) + "\n");
  } else ctx.stdout(`sweep ${id}: ${versions.length} trials -> ${out}\n`);
  return 0;
}
