/**
 * Serving replicas on one shared PostgreSQL registry (issue 18): two real `mmml serve` processes follow a
 * promotion made while both are under load, with zero failed requests. The first process ever to open the
 * registry is a server, configured only through `registry.artifacts`; the trainings after it find the
 * artifacts folder the server recorded.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../../../testing/cli.ts";
import { dropSchemas, PG_SKIP, PG_TEST_URL, pgTestName } from "../../../testing/registry_support.ts";
import { openRegistry } from "../../registry/open_registry.ts";

const SERVER_PATH = new URL("../../../server.ts", import.meta.url).pathname;
const WATCH_MS = 200;
const PER_REPLICA = 3;

interface Replica {
  port: number;
  child: Deno.ChildProcess;
  stderr: () => string;
}

/** Starts `mmml serve ARGS` as a process and resolves once it logs "ready" (or rejects with its log). */
async function startReplica(args: string[]): Promise<Replica> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", SERVER_PATH, "--port", "0", "--set", "serving.providers=[cpu]", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let log = "";
  let port = 0;
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const deadline = Date.now() + 60_000;
  while (!/"msg":"ready"/.test(log)) {
    const { value, done } = await reader.read();
    if (done || Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`the replica did not get ready:\n${log}`);
    }
    log += value;
    port ||= Number(/listening on http:\/\/[\d.]+:(\d+)/.exec(log)?.[1] ?? 0);
  }
  // Keep draining its log so it never blocks on a full pipe.
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      log += value;
    }
  })();
  return { port, child, stderr: () => log };
}

async function stop(replica: Replica): Promise<number> {
  replica.child.kill("SIGTERM");
  return (await replica.child.status).code;
}

function toyCsv(): string {
  const lines = ["x1,x2,label"];
  for (let i = 0; i < 60; i++) {
    const x1 = (i * 37 % 60) / 15;
    const x2 = (i * 11 % 60) / 30;
    lines.push(`${x1},${x2},${x1 + x2 > 3 ? "high" : "low"}`);
  }
  return lines.join("\n") + "\n";
}

Deno.test({
  name: pgTestName("two serve replicas on one PostgreSQL registry follow a promotion under load, 0 failed"),
  ignore: PG_SKIP !== null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mmml_replicas_" });
    const schema = "mmml_t_rep" + crypto.randomUUID().replaceAll("-", "").slice(0, 10);
    const url = `${PG_TEST_URL}?schema=${schema}`;
    const artifacts = join(dir, "artifacts");
    const replicas: Replica[] = [];
    try {
      // The first process to open the registry is a server: registry.artifacts is all it needs.
      const first = await startReplica(["--registry", url, "--set", `registry.artifacts=${artifacts}`]);
      assert.match(first.stderr(), /holds no models/);
      assert.equal(await stop(first), 0, first.stderr());

      const data = join(dir, "toy.csv");
      await Deno.writeTextFile(data, toyCsv());
      for (const seed of [1, 2]) {
        const run = await cli([
          "train",
          "--data",
          data,
          "--label",
          "label",
          "--name",
          "toy",
          "--registry",
          url,
          "--seed",
          String(seed),
          "--epochs",
          "2",
          "--backend",
          "cpu",
        ], { cwd: dir });
        assert.equal(run.code, 0, run.stderr);
      }
      const registry = await openRegistry(url);
      try {
        await registry.setStages("toy", 1, ["production"], { exclusive: true });
        for (let i = 0; i < 2; i++) {
          replicas.push(
            await startReplica([
              "--registry",
              url,
              "--model",
              "toy@production",
              "--set",
              `serving.watch_interval_ms=${WATCH_MS}`,
            ]),
          );
        }
        const failures: string[] = [];
        const firstV2 = new Map<number, number>();
        let promotedAt = Infinity;
        let stopAt = Infinity;
        const load = replicas.flatMap((r, which) =>
          Array.from({ length: PER_REPLICA }, async () => {
            while (performance.now() < stopAt) {
              try {
                const res = await fetch(`http://127.0.0.1:${r.port}/predict/tabular`, {
                  method: "POST",
                  headers: { "content-type": "application/json" },
                  body: JSON.stringify({ model: "toy", instances: [{ x1: 1, x2: 0.5 }] }),
                });
                const body = await res.json();
                if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(body)}`);
                else if (body.version === 2 && !firstV2.has(which)) firstV2.set(which, performance.now());
                else if (body.version === 1 && firstV2.has(which)) {
                  failures.push(`replica ${which} went back to v1`);
                }
              } catch (err) {
                failures.push(String(err));
              }
            }
          })
        );
        await new Promise((r) => setTimeout(r, 600));
        promotedAt = performance.now();
        await registry.setStages("toy", 2, ["production"], { exclusive: true });
        const deadline = promotedAt + 10_000;
        while (firstV2.size < replicas.length && performance.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        stopAt = performance.now() + 300;
        await Promise.all(load);
        assert.deepEqual(failures, []);
        const after = replicas.map((_, i) => Math.round((firstV2.get(i) ?? Infinity) - promotedAt));
        console.error(
          `replicas first answered from v2 ${after.join(" and ")} ms after promotion ` +
            `(watch interval ${WATCH_MS} ms)`,
        );
        // Within the watch interval plus loading the new version (an ONNX session on a loaded machine).
        for (const ms of after) assert.ok(ms < WATCH_MS + 2000, `a replica switched after ${ms} ms`);
      } finally {
        await registry.close();
      }
      for (const r of replicas.splice(0)) assert.equal(await stop(r), 0, r.stderr());
    } finally {
      for (const r of replicas) await stop(r).catch(() => {});
      await dropSchemas(schema);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
