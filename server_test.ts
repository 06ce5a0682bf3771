/**
 * End to end: server.ts's main() on a real port over a real trained model (tfjs training, ONNX export,
 * SQLite registry, ONNX Runtime), checked against `mmml predict` (the tfjs model) on the same rows.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "./testing/cli.ts";
import { PreprocessorState } from "./src/preprocess/preprocessor_state.ts";
import { main } from "./server.ts";
import { COLORS, trainToyModels } from "./testing/trained_models.ts";

const TOLERANCE = 1e-4;

interface Prediction {
  label: string;
  probabilities: Record<string, number>;
}

/** The parts of `mmml doctor --json` compared with /health. */
interface DoctorJson {
  backends: { name: string; available: boolean; auto: boolean }[];
  auto: string | null;
  onnxruntime: { providers?: { provider: string; available: boolean; configured: boolean }[] };
  registry: { location: string };
  problems: string[];
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function assertClose(got: number[], want: number[], what: string) {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) =>
    assert.ok(Math.abs(g - want[i]) <= TOLERANCE, `${what}[${i}]: server ${g}, mmml predict ${want[i]}`)
  );
}

Deno.test("server.ts serves a trained model on a real port with the probabilities of `mmml predict`", async () => {
  const trained = await trainToyModels({ seeds: [3] });
  const { registryPath, rows, rowsCsv } = trained;
  const configFile = join(trained.root, "serve.yaml");
  await Deno.writeTextFile(configFile, "serving:\n  providers: [cpu]\n");
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const exit = main(
    ["--port", String(port), "--registry", registryPath, "--model", "toy@1", "--config", configFile],
    { MMML_LOG_LEVEL: "error" },
  );
  let stopped = false;
  try {
    let ready: Response | undefined;
    while (performance.now() - t0 < 10_000) {
      ready = await fetch(`${base}/ready`).catch(() => undefined);
      if (ready?.status === 200) break;
      await ready?.body?.cancel();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(ready?.status, 200, "not ready within 10 s");
    const readyMs = performance.now() - t0;
    assert.deepEqual(await ready!.json(), { ready: true, models: ["toy@1"] });
    console.log(`server.ts main() to ready with one model: ${readyMs.toFixed(0)} ms`);

    const models = (await (await fetch(`${base}/models`)).json()).models;
    assert.equal(models.length, 1);
    assert.equal(models[0].name, "toy");
    assert.equal(models[0].version, 1);
    assert.equal(models[0].provider, "cpu");
    assert.deepEqual(models[0].refs, ["toy@1"]);
    assert.deepEqual(models[0].inputs.map((i: { name: string }) => i.name), ["numeric", "categorical"]);

    const reference = await cli([
      "predict",
      "--model",
      "toy@1",
      "--registry",
      registryPath,
      "--input",
      rowsCsv,
      "--json",
    ]);
    assert.equal(reference.code, 0, reference.stderr);
    const expected: Prediction[] = JSON.parse(reference.stdout).predictions;
    const classes = Object.keys(expected[0].probabilities);
    assert.equal(expected.length, rows.length);

    const res = await fetch(`${base}/predict/tabular`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "toy", instances: rows }),
    });
    assert.equal(res.status, 200);
    const served = await res.json();
    assert.equal(served.version, 1);
    served.predictions.forEach((p: Prediction, r: number) => {
      assert.equal(p.label, expected[r].label, `row ${r} label`);
      assertClose(
        classes.map((c) => p.probabilities[c]),
        classes.map((c) => expected[r].probabilities[c]),
        `row ${r} (x2 ${rows[r].x2 === null ? "missing" : "given"})`,
      );
    });

    // OIP v2 takes the model's own tensors: raw numeric columns (scaled inside the graph) and one-hot colours.
    const version = await trained.registry.resolve("toy@1");
    const pre = PreprocessorState.parse(
      JSON.parse(await Deno.readTextFile(join(version.dir, "preprocessor.json"))),
    );
    assert.deepEqual(pre.categorical[0].categories, [...COLORS]);
    const complete = rows.map((row, r) => ({ row, r })).filter(({ row }) => row.x2 !== null);
    const infer = await fetch(`${base}/v2/models/toy/versions/1/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: "e2e",
        inputs: [
          {
            name: "numeric",
            shape: [complete.length, 2],
            datatype: "FP32",
            data: complete.flatMap(({ row }) => [row.x1, row.x2]),
          },
          {
            name: "categorical",
            shape: [complete.length, 3],
            datatype: "FP32",
            data: complete.flatMap(({ row }) => COLORS.map((c) => c === row.color ? 1 : 0)),
          },
        ],
      }),
    });
    assert.equal(infer.status, 200);
    const inferred = await infer.json();
    assert.equal(inferred.model_name, "toy");
    assert.equal(inferred.model_version, "1");
    assert.equal(inferred.id, "e2e");
    const probs = inferred.outputs.find((o: { name: string }) => o.name === "probabilities");
    assert.deepEqual(probs.shape, [complete.length, classes.length]);
    assertClose(
      probs.data,
      complete.flatMap(({ r }) => classes.map((c) => expected[r].probabilities[c])),
      "v2 probabilities",
    );

    const v2 = await (await fetch(`${base}/v2`)).json();
    assert.deepEqual(v2.extensions, ["model_repository"]);
    assert.deepEqual(await (await fetch(`${base}/v2/health/ready`)).json(), { ready: true });

    // /health carries the facts `mmml doctor` reports, gathered once in the background after ready.
    let doctor: { state: string; seconds?: number; report?: DoctorJson } | undefined;
    while (performance.now() - t0 < 30_000) {
      doctor = (await (await fetch(`${base}/health`)).json()).doctor;
      if (doctor?.state !== "gathering" && doctor?.state !== "not_started") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(doctor?.state, "ready", JSON.stringify(doctor));
    console.log(`doctor report for /health gathered in ${doctor!.seconds} s`);
    const cliDoctor = await cli(["doctor", "--json", "--registry", registryPath, "--config", configFile]);
    const expectedDoctor: DoctorJson = JSON.parse(cliDoctor.stdout);
    const facts = (r: DoctorJson) => ({
      backends: r.backends.map((b) => [b.name, b.available, b.auto]),
      auto: r.auto,
      providers: r.onnxruntime.providers?.map((p) => [p.provider, p.available, p.configured]),
      registry: r.registry.location,
      problems: r.problems,
    });
    assert.deepEqual(facts(doctor!.report!), facts(expectedDoctor), "/health and `mmml doctor` disagree");

    Deno.kill(Deno.pid, "SIGTERM");
    stopped = true;
    assert.equal(await exit, 0, "SIGTERM drains the server and main() resolves 0");
    await assert.rejects(fetch(`${base}/health`), "the port is closed after shutdown");
  } finally {
    if (!stopped) {
      Deno.kill(Deno.pid, "SIGTERM");
      await exit;
    }
    await trained.cleanup();
  }
});
