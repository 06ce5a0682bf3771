/**
 * One model, every input format: trained from Parquet it equals the same rows trained from CSV, and
 * `predict` gives the same answers for a CSV, a Parquet file, JSON lines and standard input, carrying
 * `--keep-columns` cells through for a join.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../../../testing/cli.ts";
import { csvToJsonLines, csvToParquet } from "../../../testing/table_files.ts";

const IRIS = new URL("../../../fixtures/iris.csv", import.meta.url).pathname;

Deno.test("train reads Parquet as CSV, and predict reads CSV, Parquet, JSON lines and stdin alike", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_formats_" });
  const registry = join(dir, "models");
  const train = (data: string, name: string) =>
    cli([
      "train",
      "--data",
      data,
      "--label",
      "species",
      "--name",
      name,
      "--registry",
      registry,
      "--epochs",
      "8",
      "--json",
    ]);
  try {
    const csv = await Deno.readTextFile(IRIS);
    await Deno.writeFile(join(dir, "iris.parquet"), csvToParquet(csv));

    await t.step("a model trained from Parquet equals one trained from the CSV", async () => {
      const fromCsv = await train(IRIS, "iris_csv");
      const fromParquet = await train(join(dir, "iris.parquet"), "iris_parquet");
      assert.equal(fromCsv.code, 0, fromCsv.stderr);
      assert.equal(fromParquet.code, 0, fromParquet.stderr);
      assert.deepEqual(JSON.parse(fromParquet.stdout).metrics, JSON.parse(fromCsv.stdout).metrics);
    });

    // Rows to predict, with an identifier the model never saw: "007" stays text, 17 is a number.
    const lines = csv.trim().split("\n");
    const rows = ["id," + lines[0], ...lines.slice(1, 6).map((l, i) => `${i === 0 ? "007" : 17 + i},${l}`)];
    const rowsCsv = rows.join("\n") + "\n";
    await Deno.writeTextFile(join(dir, "rows.csv"), rowsCsv);
    await Deno.writeFile(join(dir, "rows.parquet"), csvToParquet(rowsCsv.replace(/^007,/m, "A7,")));
    await Deno.writeTextFile(join(dir, "rows.jsonl"), csvToJsonLines(rowsCsv));
    const predictArgs = (
      input: string,
    ) => ["predict", "--model", "iris_csv", "--registry", registry, "--input", input];
    const predict = (input: string, stdin?: string) => cli(predictArgs(input), { stdin });
    const parse = (stdout: string) => stdout.trim().split("\n").map((l) => JSON.parse(l));

    await t.step("every format and standard input give the CSV's predictions", async () => {
      const base = await predict(join(dir, "rows.csv"));
      assert.equal(base.code, 0, base.stderr);
      const expected = parse(base.stdout);
      assert.equal(expected.length, 5);
      for (const input of ["rows.parquet", "rows.jsonl"]) {
        const run = await predict(join(dir, input));
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(parse(run.stdout), expected, input);
      }
      for (const stdin of [rowsCsv, csvToJsonLines(rowsCsv)]) {
        const run = await predict("-", stdin);
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(parse(run.stdout), expected);
      }
    });

    await t.step("--keep-columns carries the id through, numbers as numbers and codes as text", async () => {
      const run = await cli([...predictArgs(join(dir, "rows.csv")), "--keep-columns", "id,petal_width"]);
      assert.equal(run.code, 0, run.stderr);
      const out = parse(run.stdout);
      assert.deepEqual(Object.keys(out[0]), ["row", "id", "petal_width", "label", "probabilities"]);
      assert.deepEqual(out.map((p) => p.id), ["007", 18, 19, 20, 21]);
      assert.equal(out[0].petal_width, 0.2);
    });

    await t.step("--keep-columns names an unknown column and refuses a prediction field", async () => {
      const args = predictArgs(join(dir, "rows.csv"));
      const unknown = await cli([...args, "--keep-columns", "idd"]);
      assert.equal(unknown.code, 2);
      assert.match(
        unknown.stderr,
        /--keep-columns idd: .*rows\.csv has no column "idd" \(did you mean "id"\?\)/,
      );
      await Deno.writeTextFile(join(dir, "label.csv"), rowsCsv.replace(/^id,/, "label,"));
      const clash = await cli([...args.slice(0, -1), join(dir, "label.csv"), "--keep-columns", "label"]);
      assert.equal(clash.code, 2);
      assert.match(clash.stderr, /"label" is a field of every prediction/);
    });

    await t.step("evaluate reads standard input", async () => {
      const run = await cli(
        ["evaluate", "--model", "iris_csv", "--registry", registry, "--data", "-", "--json"],
        { stdin: csvToJsonLines(csv) },
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).rows, 150);
    });

    await t.step("an empty standard input is named as such", async () => {
      const run = await predict("-", "");
      assert.equal(run.code, 2);
      assert.match(run.stderr, /stdin is empty/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
