/**
 * Issue 18's sweep on a real PostgreSQL: a 3x2 grid submitted to the queue, trained by two `mmml worker`
 * processes, one SIGKILLed while it holds a trial, and a third started afterwards with --until-idle. Every
 * trial completes exactly once (six distinct versions, one per trial, the killed one retried elsewhere),
 * status names the best, and the workers end on their own (idle) or on SIGTERM with status 0.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, CLI_PATH } from "../../../testing/cli.ts";
import { dropSchemas, PG_SKIP, PG_TEST_URL, pgTestName } from "../../../testing/registry_support.ts";
import { openRegistry } from "../../registry/open_registry.ts";

/** 10,000 rows of 4 features and 3 classes: a trial trains for a couple of seconds, long enough to be killed. */
function blobsCsv(): string {
  const lines = ["a,b,c,d,label"];
  for (let i = 0; i < 10_000; i++) {
    const k = i % 3;
    const x = [1, 2, 3, 4].map((j) => (Math.sin(i * j * 12.9898) * 43758.5453 % 1) + k * (j % 2 ? 1 : -1));
    lines.push(`${x.map((v) => v.toFixed(4)).join(",")},c${k}`);
  }
  return lines.join("\n") + "\n";
}

interface Worker {
  child: Deno.ChildProcess;
  log: () => string;
  started: Promise<number>;
}

/** `mmml worker ARGS` as a process; `started` resolves with the first trial it takes. */
function startWorker(url: string, artifacts: string, extra: string[] = []): Worker {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", CLI_PATH, "worker", "--registry", url, "--poll-seconds", "0.5", ...extra],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", MMML_REGISTRY_ARTIFACTS: artifacts },
  }).spawn();
  let log = "";
  const started = Promise.withResolvers<number>();
  (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      log += chunk;
      const m = /worker: sweep \S+ trial (\d+)/.exec(log);
      if (m) started.resolve(Number(m[1]));
    }
    started.reject(new Error(`the worker ended before taking a trial:\n${log}`));
  })();
  started.promise.catch(() => {});
  return { child, log: () => log, started: started.promise };
}

Deno.test({
  name: pgTestName(
    "a 3x2 sweep on the queue: a worker SIGKILLed mid-trial, a third started, 6 trials once each",
  ),
  ignore: PG_SKIP !== null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mmml_sweep_queue_" });
    const schema = "mmml_t_swq" + crypto.randomUUID().replaceAll("-", "").slice(0, 10);
    const url = `${PG_TEST_URL}?schema=${schema}`;
    const artifacts = join(dir, "artifacts");
    const workers: Worker[] = [];
    try {
      await Deno.writeTextFile(join(dir, "blobs.csv"), blobsCsv());
      await Deno.writeTextFile(
        join(dir, "sweep.yaml"),
        `data: {path: blobs.csv, label: label}
training: {epochs: 40, batch_size: 32, backend: cpu, progress: false, early_stopping: {patience: 1000}}
registry: {artifacts: ${artifacts}}
sweep:
  metric: val.accuracy
  lease_seconds: 10
  parameters:
    training.optimizer.lr: [0.001, 0.003, 0.01]
    model.hidden: [[4], [8]]
`,
      );
      const submitted = await cli(
        ["sweep", "submit", "--config", "sweep.yaml", "--registry", url, "--json"],
        {
          cwd: dir,
        },
      );
      assert.equal(submitted.code, 0, submitted.stderr);
      const { sweep: id, trials } = JSON.parse(submitted.stdout);
      assert.equal(trials, 6);

      const a = startWorker(url, artifacts);
      const b = startWorker(url, artifacts);
      workers.push(a, b);
      const held = await a.started;
      a.child.kill("SIGKILL");
      const killedAt = Date.now();
      assert.equal((await a.child.status).signal, "SIGKILL");
      assert.doesNotMatch(a.log(), /registered/, "killed while training its first trial");
      const c = startWorker(url, artifacts, ["--until-idle"]);
      workers.push(c);

      const status = async () => {
        const r = await cli(["sweep", "status", id, "--registry", url, "--json"]);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout);
      };
      const deadline = Date.now() + 120_000;
      let s = await status();
      while (s.state !== "completed" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        s = await status();
      }
      assert.equal(s.state, "completed", JSON.stringify(s.trials));
      assert.deepEqual(s.trials.map((t: { trial: number }) => t.trial), [1, 2, 3, 4, 5, 6]);
      assert.ok(s.trials.every((t: { state: string }) => t.state === "completed"), JSON.stringify(s.trials));
      const versions = s.trials.map((t: { version: number }) => t.version);
      assert.equal(new Set(versions).size, 6, `versions ${versions}`);
      const best = Math.max(
        ...s.trials.map((t: { metrics: { val: { accuracy: number } } }) => t.metrics.val.accuracy),
      );
      assert.equal(s.best.metrics.val.accuracy, best);

      // Exactly once: the registry holds one version per trial, the killed worker's trial included.
      const registry = await openRegistry(url, { artifacts });
      try {
        const published = (await registry.list("blobs")).filter((v) => v.meta.sweep?.id === id);
        assert.deepEqual(published.map((v) => v.meta.sweep!.trial).sort(), [1, 2, 3, 4, 5, 6]);
        assert.deepEqual(
          published.map((v) => v.meta.version).sort((x, y) => x - y),
          [...versions].sort((x, y) => x - y),
        );
      } finally {
        await registry.close();
      }
      const retry = new RegExp(`"time":"([^"]+)"[^\\n]*trial ${held} \\(attempt 2\\)`).exec(
        b.log() + c.log(),
      );
      assert.ok(retry, "the held trial was retried");
      const retriedAfter = (Date.parse(retry[1]) - killedAt) / 1000;

      const cStatus = await c.child.status;
      assert.equal(cStatus.code, 0, c.log());
      assert.match(c.log(), /stopping \(idle\)/);
      b.child.kill("SIGTERM");
      assert.equal((await b.child.status).code, 0, b.log());
      console.error(
        `sweep ${id}: trial ${held} held by the SIGKILLed worker was retried ${
          retriedAfter.toFixed(1)
        } s later ` +
          `(lease 10 s); 6 trials, versions ${versions}`,
      );
    } finally {
      for (const w of workers) {
        try {
          w.child.kill("SIGKILL");
        } catch { /* ended */ }
        await w.child.status;
      }
      await dropSchemas(schema, `${schema}_queue`);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: pgTestName(
    "sweep queue: a worker on a database without the queue says so; a cancelled sweep trains nothing",
  ),
  ignore: PG_SKIP !== null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mmml_sweep_cancel_" });
    const schema = "mmml_t_swc" + crypto.randomUUID().replaceAll("-", "").slice(0, 10);
    const url = `${PG_TEST_URL}?schema=${schema}`;
    try {
      const early = await cli(["worker", "--registry", url, "--until-idle"]);
      assert.equal(early.code, 2);
      assert.match(early.stderr, /has no sweep queue: no sweep was ever submitted .*mmml sweep submit/);
      await Deno.writeTextFile(join(dir, "blobs.csv"), blobsCsv());
      await Deno.writeTextFile(
        join(dir, "sweep.yaml"),
        `data: {path: blobs.csv, label: label}
sweep: {metric: val.accuracy, parameters: {training.optimizer.lr: [0.001, 0.01]}}
`,
      );
      const submitted = await cli(
        ["sweep", "submit", "--config", "sweep.yaml", "--registry", url, "--json"],
        {
          cwd: dir,
        },
      );
      assert.equal(submitted.code, 0, submitted.stderr);
      const { sweep: id } = JSON.parse(submitted.stdout);
      const cancelled = await cli(["sweep", "cancel", id, "--registry", url, "--json"]);
      assert.equal(cancelled.code, 0, cancelled.stderr);
      const s = JSON.parse(cancelled.stdout);
      assert.equal(s.state, "cancelled");
      assert.deepEqual(s.trials.map((t: { state: string }) => t.state), ["cancelled", "cancelled"]);
      const idle = await cli(["worker", "--registry", url, "--until-idle", "--poll-seconds", "0.5"]);
      assert.equal(idle.code, 0, idle.stderr);
      assert.match(idle.stderr, /0 trial\(s\) trained, 0 failed/);
      const unknown = await cli(["sweep", "status", "nosuch", "--registry", url]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /No sweep nosuch in/);
    } finally {
      await dropSchemas(schema, `${schema}_queue`);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
