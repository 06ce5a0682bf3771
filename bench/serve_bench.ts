/**
 * Serving throughput and latency: the same tabular MLP (trained on the same synthetic CSV) served by
 * mmml (Hono + ONNX Runtime, dynamic batching) and by the FastAPI + PyTorch reference, each driven by
 * wrk on loopback with a one-row JSON body at concurrency 1 and 16 for a fixed duration, one server at a
 * time. Also measures mmml's process start to /ready with one model.
 */
import { join, resolve } from "node:path";
import { syntheticTabularCsv } from "../testing/synthetic_tabular.ts";
import { type BenchCommon, runJson } from "./tabular_bench.ts";

const SYNTH = { numeric: 40, categorical: 5, levels: 6, classes: 7, missing: 0.01, noise: 0.5, taskSeed: 7 };
const DURATION_S = 8;

async function waitFor(url: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return performance.now() - t0;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

async function wrk(url: string, body: string, connections: number, wrkDir: string) {
  const out = await new Deno.Command("wrk", {
    args: [
      `-t${Math.min(2, connections)}`,
      `-c${connections}`,
      `-d${DURATION_S}s`,
      "-s",
      join(wrkDir, "post_json.lua"),
      url,
    ],
    env: { BODY_FILE: body, WRK_DIR: wrkDir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.startsWith("{"));
  if (!lines.length) throw new Error(`wrk printed no report: ${new TextDecoder().decode(out.stderr)}`);
  const r = JSON.parse(lines.at(-1)!);
  return {
    requests_per_sec: r.requests_per_sec,
    p50_ms: r.latency_ms.p50,
    p99_ms: r.latency_ms.p99,
    errors: r.errors,
  };
}

async function drive(url: string, body: string, wrkDir: string) {
  return { c1: await wrk(url, body, 1, wrkDir), c16: await wrk(url, body, 16, wrkDir) };
}

/** Runs the serving benchmark. */
export async function runServeBench(opts: BenchCommon): Promise<Record<string, unknown>> {
  const dir = resolve(".bench/serve");
  await Deno.mkdir(dir, { recursive: true });
  const train = join(dir, "train.csv");
  const test = join(dir, "test.csv");
  await Deno.writeTextFile(train, syntheticTabularCsv({ rows: 5000, seed: 11, ...SYNTH }));
  await Deno.writeTextFile(test, syntheticTabularCsv({ rows: 1000, seed: 12, ...SYNTH }));
  const header = (await Deno.readTextFile(test)).split("\n", 2);
  const names = header[0].split(",");
  const cells = header[1].split(",");
  const instance = Object.fromEntries(
    names.map((
      n,
      i,
    ) => [n, n.startsWith("num_") ? (cells[i] === "" ? null : Number(cells[i])) : cells[i] || null])
      .filter(([n]) => n !== "label"),
  );
  const body = join(dir, "body.json");
  await Deno.writeTextFile(body, JSON.stringify({ model: "bench", instances: [instance] }));
  const registry = join(dir, "registry");
  await Deno.remove(registry, { recursive: true }).catch(() => {});
  opts.log("training the mmml model");
  await runJson(Deno.execPath(), [
    "run",
    "-A",
    "cli.ts",
    "train",
    "--data",
    train,
    "--test",
    test,
    "--label",
    "label",
    "--epochs",
    "2",
    "--registry",
    registry,
    "--name",
    "bench",
    "--json",
    "--set",
    "training.progress=false",
  ]);
  const wrkDir = join(opts.referenceDir, "wrk");
  const result: Record<string, unknown> = {
    benchmark: "serve",
    body: "1 row, 45 columns",
    duration_s: DURATION_S,
  };

  // Default serving (behind the front door, which times headers and caps connections), then the same
  // server without it (serving.limits.front_door=false, as behind nginx or Envoy), in one go.
  const serveMmml = async (extra: string[]) => {
    const port = 18000 + Math.floor(Math.random() * 1000);
    const t0 = performance.now();
    const server = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "server.ts",
        "--port",
        String(port),
        "--registry",
        registry,
        "--model",
        "bench",
        ...extra,
      ],
      env: { MMML_LOG_LEVEL: "warn" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitFor(`http://127.0.0.1:${port}/ready`, 15_000);
      const ready = (performance.now() - t0) / 1000;
      return { ready, run: await drive(`http://127.0.0.1:${port}/predict/tabular`, body, wrkDir) };
    } finally {
      server.kill("SIGTERM");
      await server.status;
    }
  };
  opts.log("driving mmml");
  const guarded = await serveMmml([]);
  result.mmml_start_to_ready_seconds = guarded.ready;
  result.mmml = guarded.run;
  opts.log("driving mmml without its front door");
  result.mmml_without_front_door = (await serveMmml(["--set", "serving.limits.front_door=false"])).run;

  const script = join(opts.referenceDir, "serve.py");
  if (!opts.withReference) return { ...result, reference: "not run (--no-reference)" };
  opts.log("training the reference model");
  const refDir = join(dir, "ref_models");
  await runJson(opts.python, [
    join(opts.referenceDir, "train_tabular.py"),
    train,
    test,
    "label",
    "--epochs",
    "2",
    "--save-dir",
    join(refDir, "tabular"),
  ]);
  const refPort = 19000 + Math.floor(Math.random() * 1000);
  const ref = new Deno.Command(opts.python, {
    args: [script, refDir, "--host", "127.0.0.1", "--port", String(refPort), "--threads", "1"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitFor(`http://127.0.0.1:${refPort}/health`, 60_000);
    opts.log("driving the reference");
    result.reference = await drive(`http://127.0.0.1:${refPort}/predict/tabular`, body, wrkDir);
  } finally {
    ref.kill("SIGTERM");
    await ref.status;
  }
  const m = result.mmml as Awaited<ReturnType<typeof drive>>;
  const r = result.reference as Awaited<ReturnType<typeof drive>>;
  result.ratios = {
    c1_requests_per_sec: m.c1.requests_per_sec / r.c1.requests_per_sec,
    c16_requests_per_sec: m.c16.requests_per_sec / r.c16.requests_per_sec,
    c16_mmml_p99_over_reference_p50: m.c16.p99_ms / r.c16.p50_ms,
  };
  return result;
}
