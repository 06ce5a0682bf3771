import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../../../testing/cli.ts";

const IRIS = new URL("../../../fixtures/iris.csv", import.meta.url).pathname;

Deno.test("data info --json reports rows, column types and class balance", async () => {
  const r = await cli(["data", "info", IRIS, "--label", "species", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.rows, 150);
  assert.deepEqual(info.columns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`), [
    "sepal_length:numeric",
    "sepal_width:numeric",
    "petal_length:numeric",
    "petal_width:numeric",
    "species:categorical",
  ]);
  assert.deepEqual(info.classBalance, { setosa: 50, versicolor: 50, virginica: 50 });
  assert.equal(info.columns[2].min, 1);
  assert.equal(info.columns[2].max, 6.9);
});

Deno.test("data info prints a table naming the file as given, relative to the working directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_data_info_" });
  try {
    await Deno.writeTextFile(join(dir, "pets.csv"), "kind,weight,label\ncat,4,x\ndog,,y\ncat,5,x\n");
    const r = await cli(["data", "info", "pets.csv"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^pets\.csv: 3 rows, 3 columns\n/);
    assert.match(r.stdout, /\nweight +numeric +1 \(33\.3%\) +2 +min 4, max 5/);
    assert.match(r.stdout, /\nkind +categorical +0 +2 +cat 2, dog 1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data info fails with exit 2 for a missing file, an absent label and a bad subcommand", async () => {
  const missing = await cli(["data", "info", "/nonexistent/x.csv"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Cannot read "\/nonexistent\/x\.csv": file not found/);
  const label = await cli(["data", "info", IRIS, "--label", "kind"]);
  assert.equal(label.code, 2);
  assert.match(label.stderr, /label column "kind" not found; available columns: sepal_length/);
  const sub = await cli(["data", "inf", IRIS]);
  assert.equal(sub.code, 2);
  assert.match(sub.stderr, /mmml data needs a subcommand: info; received "inf" \(did you mean "info"\?\)/);
  const noFile = await cli(["data", "info"]);
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /"mmml data info" needs FILE/);
});
