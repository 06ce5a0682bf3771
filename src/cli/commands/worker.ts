/**
 * `mmml worker --registry postgres://... [--concurrency N] [--until-idle]`: trains submitted sweep trials
 * (sweep.ts) from the registry database's job queue, each exactly as `mmml train` would, and publishes
 * them into that registry. Heartbeats keep a trial while it trains; a worker that dies loses its trial to
 * another one after `sweep.lease_seconds`. `--until-idle` exits once nothing is queued or running (batch
 * jobs, Kubernetes Indexed Jobs). SIGTERM (or SIGINT) stops taking trials and finishes the ones in hand.
 */
import { type CommandSpec, formatHelp, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import { MmmlError } from "../../errors.ts";
import { isPostgresUrl } from "../../registry/open_registry.ts";
import type { Registry } from "../../registry/registry_types.ts";
import { redactUrl } from "../../redact.ts";
import { openSweepQueue, TRIAL_QUEUE, type TrialJob } from "../../sweeps/sweep_queue.ts";
import { runTrial } from "../../sweeps/sweep_trial.ts";
import { openRegistry } from "./model_flags.ts";

export const WORKER_SPEC = {
  name: "worker",
  summary: "Train queued sweep trials from a PostgreSQL registry's job queue.",
  flags: {
    registry: { type: "string", valueName: "URL", description: "the PostgreSQL registry (postgres://...)" },
    concurrency: { type: "number", valueName: "N", description: "trials trained at once (default 1)" },
    "until-idle": { type: "boolean", description: "exit once no trial is queued or running" },
    "poll-seconds": {
      type: "number",
      valueName: "S",
      description: "how often to look for trials and, with --until-idle, for the end (default 2)",
    },
  },
} as const satisfies CommandSpec;

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, help } = parseCommandArgs(args, WORKER_SPEC);
  if (help) {
    ctx.stdout(formatHelp(WORKER_SPEC));
    return 0;
  }
  const url = values.registry;
  if (!url || !isPostgresUrl(url)) {
    throw new MmmlError(
      "usage",
      `mmml worker takes trials from a PostgreSQL registry's queue (--registry postgres://...); received ${
        url ? `"${url}"` : "no --registry"
      }`,
    );
  }
  const concurrency = values.concurrency ?? 1;
  const poll = values["poll-seconds"] ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new MmmlError(
      "usage",
      `--concurrency expects a whole number of at least 1, received ${concurrency}`,
    );
  }
  if (!(poll >= 0.5)) throw new MmmlError("usage", `--poll-seconds expects at least 0.5, received ${poll}`);
  const { logger } = ctx;
  const queue = await openSweepQueue(url, { create: false });
  // Opened at the first trial, with the artifacts folder its sweep's config names (MMML_REGISTRY_ARTIFACTS
  // otherwise), so a worker can be the first process on a new registry.
  let registry: Promise<Registry> | undefined;
  const registryFor = (base: Record<string, unknown>) => {
    const artifacts = (base.registry as { artifacts?: unknown } | undefined)?.artifacts;
    return registry ??= openRegistry(url, ctx, typeof artifacts === "string" ? artifacts : undefined);
  };
  let done = 0;
  let failed = 0;
  const stop = Promise.withResolvers<string>();
  const onSignal = (name: string) => () => stop.resolve(name);
  const listeners = (["SIGTERM", "SIGINT"] as const).map((s) => [s, onSignal(s)] as const);
  for (const [s, f] of listeners) Deno.addSignalListener(s, f);
  try {
    await queue.boss.work<TrialJob>(
      TRIAL_QUEUE,
      { batchSize: 1, localConcurrency: concurrency, pollingIntervalSeconds: poll },
      async ([job]) => {
        const { sweep: id, trial, params } = job.data;
        const sweep = await queue.sweep(id);
        if (sweep.cancelled) throw new MmmlError("usage", `sweep ${id} was cancelled`);
        logger.info(`worker: sweep ${id} trial ${trial} (attempt ${job.retryCount + 1})`);
        try {
          const out = await runTrial({
            sweepId: id,
            metric: sweep.metric,
            mode: sweep.mode,
            base: sweep.base,
            trial: { trial, params },
            registry: await registryFor(sweep.base),
            logger,
            hub: { env: ctx.env },
          });
          done++;
          return { version: out.version, metrics: out.metrics, reused: out.reused };
        } catch (err) {
          failed++;
          logger.error(`worker: sweep ${id} trial ${trial} failed: ${(err as Error).message}`);
          throw err;
        }
      },
    );
    logger.info(`worker: taking trials from ${redactUrl(url)}`, { concurrency });
    let stopping = false;
    const idle = async () => {
      while (!stopping) {
        await new Promise((r) => setTimeout(r, poll * 1000));
        if (!stopping && (await queue.pending()) === 0) return "idle";
      }
      return "stopped";
    };
    const watching = values["until-idle"] ? [idle()] : [];
    const why = await Promise.race([stop.promise, ...watching]);
    stopping = true;
    await Promise.all(watching);
    logger.info(`worker: stopping (${why}); finishing the trials in hand`);
  } finally {
    for (const [s, f] of listeners) Deno.removeSignalListener(s, f);
    await queue.close({ graceful: true });
    await (await registry?.catch(() => undefined))?.close();
  }
  logger.info(`worker: ${done} trial(s) trained, ${failed} failed`);
  return 0;
}
