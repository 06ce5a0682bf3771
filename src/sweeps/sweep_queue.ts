/**
 * Sweeps on a PostgreSQL job queue: pg-boss (exactly-once delivery through row locks, retries, heartbeats,
 * in the registry's own database; no scheduler of ours). Each trial is one job on the queue
 * `mmml-sweep-trial` whose data names its sweep and trial; its state is the job's state, its result the
 * job's output. A sweep's definition (base config, metric, model) is one row of `mmml_sweeps`, beside
 * pg-boss's tables in the queue schema: `mmml_queue` for a registry in `public`, else `<schema>_queue`.
 *
 * A worker beats for its trial every half of `sweep.lease_seconds`; a worker that stops beating (SIGKILL,
 * a lost machine) has its trial failed by the next supervision and retried by another worker, up to
 * `sweep.retries` times. A retried trial that had published already trains nothing again
 * (sweep_trial.ts), so no trial ever gives two versions.
 */
import { PgBoss } from "pg-boss";
import { MmmlError } from "../errors.ts";
import { redactUrl } from "../redact.ts";
import type { SweepPlan } from "./sweep_plan.ts";
import { newSweepId, type SweepStatus, sweepStatus, type TrialState } from "./sweep_status.ts";
import type { SplitMetrics } from "./sweep_trial.ts";

export const TRIAL_QUEUE = "mmml-sweep-trial";
/** pg-boss caps a job's active time at 24 h; a trial may train that long between heartbeats' checks. */
const TRIAL_EXPIRE_SECONDS = 24 * 3600;
const KEEP_SECONDS = 30 * 24 * 3600;

/** The job a trial is. */
export interface TrialJob {
  sweep: string;
  trial: number;
  params: Record<string, unknown>;
}

/** A sweep as stored: what every worker needs to train its trials. */
export interface StoredSweep {
  id: string;
  metric: string;
  mode: "min" | "max";
  model: string;
  base: Record<string, unknown>;
  cancelled: boolean;
}

/** Where a registry URL's queue lives: its schema (from ?schema=, else public) with `_queue`. */
export function queueSchema(url: string, schema?: string): string {
  const s = schema ?? new URL(url).searchParams.get("schema") ?? "public";
  return s === "public" ? "mmml_queue" : `${s}_queue`;
}

/** The connection string without mmml's own `?schema=` (pg would pass it on to the server). */
function connectionString(url: string): string {
  const u = new URL(url);
  u.searchParams.delete("schema");
  return u.toString();
}

export interface SweepQueue {
  submit(plan: SweepPlan, options: { model: string; leaseSeconds: number; retries: number }): Promise<string>;
  sweep(id: string): Promise<StoredSweep>;
  status(id: string): Promise<SweepStatus>;
  cancel(id: string): Promise<SweepStatus>;
  /** Jobs queued (now or later) or running: 0 means nothing is left to do. */
  pending(): Promise<number>;
  boss: PgBoss;
  close(options?: { graceful?: boolean }): Promise<void>;
}

/**
 * Opens the queue of the PostgreSQL registry at `url`. With `create` (submit), pg-boss and the sweeps
 * table are installed when missing; without (worker, status, cancel), a database that has never had a
 * sweep is an error saying so.
 */
export async function openSweepQueue(
  url: string,
  { create, superviseSeconds = 5, schema }: { create: boolean; superviseSeconds?: number; schema?: string },
): Promise<SweepQueue> {
  const qschema = queueSchema(url, schema);
  const where = `${redactUrl(url)} (schema ${qschema})`;
  const boss = new PgBoss({
    connectionString: connectionString(url),
    schema: qschema,
    supervise: true,
    superviseIntervalSeconds: superviseSeconds,
    // Heartbeat and expiry checks run in the monitor pass, whose own interval defaults to a minute.
    monitorIntervalSeconds: superviseSeconds,
    migrate: create,
    createSchema: create,
  });
  boss.on("error", () => {}); // connection blips are retried by pg-boss; real failures reach callers
  const db = boss.getDb();
  try {
    const noQueue = () =>
      new MmmlError(
        "usage",
        `${where} has no sweep queue: no sweep was ever submitted to this registry; submit one first with ` +
          `mmml sweep submit --config FILE --registry URL`,
      );
    try {
      await boss.start();
    } catch (err) {
      if (!create && !(await boss.isInstalled().catch(() => false))) throw noQueue();
      throw err;
    }
    if (!create && !(await boss.isInstalled())) throw noQueue();
    if (create) {
      await db.executeSql(
        `CREATE TABLE IF NOT EXISTS ${qschema}.mmml_sweeps (
           id text PRIMARY KEY, created timestamptz NOT NULL DEFAULT now(), metric text NOT NULL,
           mode text NOT NULL, model text NOT NULL, base jsonb NOT NULL, cancelled boolean NOT NULL DEFAULT false)`,
      );
      if (!(await boss.getQueue(TRIAL_QUEUE))) await boss.createQueue(TRIAL_QUEUE).catch(() => {});
    }
  } catch (err) {
    await boss.stop({ graceful: false }).catch(() => {});
    if (err instanceof MmmlError) throw err;
    throw new MmmlError(
      "backend_unavailable",
      `Cannot open the sweep queue in ${where}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }

  const sweep = async (id: string): Promise<StoredSweep> => {
    const { rows } = await db.executeSql(
      `SELECT id, metric, mode, model, base, cancelled FROM ${qschema}.mmml_sweeps WHERE id = $1`,
      [id],
    ) as { rows: StoredSweep[] };
    if (!rows.length) throw new MmmlError("model_not_found", `No sweep ${id} in ${where}`);
    return rows[0];
  };

  const jobsOf = (id: string) =>
    boss.findJobs<TrialJob>(TRIAL_QUEUE, { data: { sweep: id }, limit: 100_000 });

  const status = async (id: string): Promise<SweepStatus> => {
    const s = await sweep(id);
    const latest = new Map<number, Awaited<ReturnType<typeof jobsOf>>[number]>();
    for (const job of await jobsOf(id)) latest.set(job.data.trial, job);
    const state = (st: string): TrialState =>
      st === "created" || st === "retry" ? "queued" : st === "active" ? "running" : st as TrialState;
    const trials = [...latest.values()].sort((a, b) => a.data.trial - b.data.trial).map((job) => {
      const output = (job.output ?? {}) as { version?: number; metrics?: SplitMetrics; message?: string };
      const done = job.state === "completed";
      return {
        trial: job.data.trial,
        state: state(job.state),
        params: job.data.params,
        version: done ? output.version ?? null : null,
        metrics: done ? output.metrics ?? null : null,
        ...(job.state === "failed" && output.message ? { error: String(output.message) } : {}),
      };
    });
    return sweepStatus({
      sweep: id,
      metric: s.metric,
      mode: s.mode,
      model: s.model,
      cancelled: s.cancelled,
      trials,
    });
  };

  return {
    boss,
    sweep,
    status,
    async submit(plan, { model, leaseSeconds, retries }) {
      const id = newSweepId();
      await db.executeSql(
        `INSERT INTO ${qschema}.mmml_sweeps (id, metric, mode, model, base) VALUES ($1, $2, $3, $4, $5)`,
        [id, plan.metric, plan.mode, model, JSON.stringify(plan.base)],
      );
      await boss.insert(
        TRIAL_QUEUE,
        plan.trials.map((t) => ({
          data: { sweep: id, trial: t.trial, params: t.params } satisfies TrialJob,
          heartbeatSeconds: leaseSeconds,
          retryLimit: retries,
          retryDelay: 0,
          expireInSeconds: TRIAL_EXPIRE_SECONDS,
          deleteAfterSeconds: KEEP_SECONDS,
          retentionSeconds: KEEP_SECONDS,
        })),
      );
      return id;
    },
    async cancel(id) {
      await sweep(id);
      await db.executeSql(`UPDATE ${qschema}.mmml_sweeps SET cancelled = true WHERE id = $1`, [id]);
      const open = (await jobsOf(id)).filter((j) => ["created", "retry", "active"].includes(j.state));
      if (open.length) await boss.cancel(TRIAL_QUEUE, open.map((j) => j.id));
      return await status(id);
    },
    async pending() {
      // Counted now (getQueue's counts are refreshed by the monitor, up to a minute late).
      const { rows } = await db.executeSql(
        `SELECT count(*)::int AS n FROM ${qschema}.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
        [TRIAL_QUEUE],
      ) as { rows: { n: number }[] };
      return rows[0].n;
    },
    async close({ graceful = false } = {}) {
      await boss.stop({ graceful, timeout: graceful ? 24 * 3600 * 1000 : 0 });
    },
  };
}
