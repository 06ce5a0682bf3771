/**
 * A regression end to end on seeded synthetic rows (numbers, a category, a date, an identifier): the
 * label is inferred to be a number, `train` reports RMSE/MAE/R², and `predict` (tfjs), `evaluate`,
 * POST /predict/tabular and OIP v2 infer (ONNX Runtime) agree on every value within 1e-4 relative.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ServingConfig } from "../../config/schema.ts";
import { createMemoryLogger } from "../../log.ts";
import { createRng } from "../../random.ts";
import { openRegistry } from "../../registry/open_registry.ts";
import { loadPredictor } from "../../runs/load_predictor.ts";
import { startServer } from "../../server/start_server.ts";
import { cli, logMessages } from "../../../testing/cli.ts";

/** y = 40 + 3 x1 - 2 x2 + 5 [colour = red] + 0.5 month + noise, with an id column and a date column. */
function regressionCsv(rows: number, seed: number): string {
  const rng = createRng(seed);
  const lines = ["id,x1,x2,colour,sold,price"];
  for (let i = 0; i < rows; i++) {
    const x1 = rng.normal() * 2, x2 = rng.normal();
    const colour = ["red", "green", "blue"][rng.int(3)];
    const month = 1 + rng.int(12), day = 1 + rng.int(28);
    const y = 40 + 3 * x1 - 2 * x2 + (colour === "red" ? 5 : 0) + 0.5 * month + rng.normal() * 0.3;
    const date = `2024-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
    lines.push(`A${1000 + i},${x1.toFixed(3)},${x2.toFixed(3)},${colour},${date},${y.toFixed(2)}`);
  }
  return lines.join("\n") + "\n";
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));

Deno.test("a regression trains, predicts, evaluates and serves the same values, from the CLI and ONNX Runtime", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_regression_" });
  const csv = join(dir, "prices.csv"), registry = join(dir, "models");
  try {
    await Deno.writeTextFile(csv, regressionCsv(400, 5));
    const rows = (await Deno.readTextFile(csv)).trim().split("\n");
    const header = rows[0].split(",");
    const sample = rows.slice(1, 9).map((line) =>
      Object.fromEntries(line.split(",").map((v, i) => [header[i], i === 1 || i === 2 ? Number(v) : v]))
    );

    let artifact = "";
    await t.step("train infers a regression, drops the id, expands the date, and fits", async () => {
      const run = await cli([
        "train",
        "--data",
        csv,
        "--label",
        "price",
        "--registry",
        registry,
        "--epochs",
        "60",
        "--json",
      ]);
      assert.equal(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout);
      assert.equal(out.task, "regression");
      assert.deepEqual(Object.keys(out.metrics.test).sort(), ["mae", "mape", "r2", "rmse"]);
      assert.ok(out.metrics.test.r2 > 0.9, `test R² ${out.metrics.test.r2}`);
      const messages = logMessages(run.stderr, "info").join("\n");
      assert.match(messages, /problem type: regression \("price" holds numbers with fractions/);
      assert.match(logMessages(run.stderr, "warn").join("\n"), /column "id" looks like an identifier/);
      artifact = out.artifact;
      const pre = JSON.parse(await Deno.readTextFile(join(artifact, "preprocessor.json")));
      assert.deepEqual(
        pre.featureNames.filter((n: string) => n.startsWith("sold.")),
        ["sold.year", "sold.month", "sold.day", "sold.weekday", "sold.yearday"],
      );
      assert.ok(!pre.featureNames.some((n: string) => n.startsWith("id")));
      assert.equal(pre.target.name, "price");
      const report = await Deno.readTextFile(join(artifact, "report.html"));
      assert.match(report, /<section id="predictions"/);
      assert.match(report, /<section id="residuals"/);
      assert.doesNotMatch(report, /<section id="confusion"/);
    });

    const sampleCsv = join(dir, "sample.csv");
    await Deno.writeTextFile(sampleCsv, rows.slice(0, 9).join("\n") + "\n");
    let predicted: number[] = [];
    const predictSample = ["predict", "--model", "prices", "--registry", registry, "--input", sampleCsv];
    await t.step("predict gives a value per row; evaluate scores RMSE, MAE, R² and MAPE", async () => {
      const run = await cli([...predictSample, "--json"]);
      assert.equal(run.code, 0, run.stderr);
      const { predictions, ignored_columns } = JSON.parse(run.stdout);
      assert.deepEqual(Object.keys(predictions[0]), ["row", "value"]);
      assert.deepEqual(ignored_columns, ["id"], "the id is ignored and named; the label is not extra");
      const strict = await cli([...predictSample, "--strict-columns"]);
      assert.equal(strict.code, 2);
      assert.match(strict.stderr, /column\(s\) "id" are not inputs of the model/);
      predicted = predictions.map((p: { value: number }) => p.value);
      const evaluated = await cli([
        "evaluate",
        "--model",
        "prices",
        "--registry",
        registry,
        "--data",
        csv,
        "--json",
      ]);
      assert.equal(evaluated.code, 0, evaluated.stderr);
      const { metrics } = JSON.parse(evaluated.stdout);
      assert.ok(
        metrics.r2 > 0.9 && metrics.rmse > 0 && metrics.mae > 0 && metrics.mape > 0,
        JSON.stringify(metrics),
      );
      const topK = await cli([...predictSample, "--top-k", "2"]);
      assert.equal(topK.code, 2);
      assert.match(topK.stderr, /--top-k lists classes; prices@1 is a regression/);
    });

    await t.step(
      "POST /predict/tabular and OIP v2 infer return the same values from ONNX Runtime",
      async () => {
        const reg = await openRegistry(registry);
        const started = await startServer({
          config: ServingConfig.parse({ port: 0, watch_interval_ms: 0 }),
          registry: reg,
          load: (v) => loadPredictor(v, { providers: ["cpu"] }),
          logger: createMemoryLogger(),
          refs: ["prices"],
        });
        const base = `http://127.0.0.1:${started.server.addr.port}`;
        try {
          assert.deepEqual(await started.loaded, []);
          const res = await fetch(`${base}/predict/tabular`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ model: "prices", instances: sample }),
          });
          const body = await res.json();
          assert.equal(res.status, 200, JSON.stringify(body));
          assert.deepEqual(body.ignored_columns, ["id"]);
          const served = body.predictions.map((p: { value: number }) => p.value);
          served.forEach((v: number, i: number) =>
            assert.ok(close(v, predicted[i]), `row ${i}: ${v} vs ${predicted[i]}`)
          );
          const meta = await (await fetch(`${base}/v2/models/prices`)).json();
          assert.deepEqual(meta.outputs, [{ name: "value", datatype: "FP32", shape: [-1, 1] }]);
        } finally {
          await started.server.shutdown();
          await started.close();
          await reg.close();
        }
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
