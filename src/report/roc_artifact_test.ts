import { artifactFolder } from "../artifacts/artifact_folder.ts";
import { parseRocArtifact, ROC_FORMAT } from "../artifacts/roc_file.ts";
import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { rocAuc } from "../evaluation/metrics.ts";
import { rocCurve } from "../evaluation/roc_curve.ts";
import { buildRocArtifact, defaultMaxPoints, thinCurve } from "./roc_artifact.ts";
import { syntheticScores } from "../../testing/report_input.ts";

const CLASSES = ["a", "b", "c"];

Deno.test("buildRocArtifact gives each class its one-vs-rest curve and the AUC of all rows", () => {
  const val = syntheticScores(40, 3, { seed: 3 });
  const test = syntheticScores(50, 3, { seed: 4 });
  const roc = buildRocArtifact({ val, test }, CLASSES);
  assert.equal(roc.format, ROC_FORMAT);
  for (const [name, scores] of [["val", val], ["test", test]] as const) {
    const split = roc.splits[name]!;
    assert.equal(split.n, scores.y.length);
    assert.deepEqual(split.curves.map((c) => c.class), CLASSES);
    const expected = rocAuc(scores.probs, scores.y, 3, CLASSES).per_class;
    split.curves.forEach((c, i) => {
      assert.ok(Math.abs(c.auc - expected[i]!) < 1e-12, `${name} ${c.class}: ${c.auc} vs ${expected[i]}`);
      assert.equal(c.positives, scores.y.filter((v) => v === i).length);
      // Small splits are not thinned: the points are sklearn's, rounded to 1e-4.
      const col = Array.from({ length: scores.y.length }, (_, r) => scores.probs[r * 3 + i]);
      const full = rocCurve(col, Array.from(scores.y, (v) => (v === i ? 1 : 0)));
      assert.deepEqual(c.fpr, full.fpr.map((v) => Math.round(v * 1e4) / 1e4));
      assert.deepEqual(c.tpr, full.tpr.map((v) => Math.round(v * 1e4) / 1e4));
    });
  }
});

Deno.test("buildRocArtifact thins a large split's curves to max_points, from (0,0) to (1,1)", () => {
  const test = syntheticScores(5000, 3, { seed: 5, signal: 0.7 });
  const roc = buildRocArtifact({ test }, CLASSES, { maxPoints: 50 });
  assert.equal(roc.splits.val, undefined);
  for (const c of roc.splits.test!.curves) {
    assert.ok(c.fpr.length <= 50 && c.fpr.length >= 40, `${c.class}: ${c.fpr.length} points`);
    assert.deepEqual([c.fpr[0], c.tpr[0]], [0, 0]);
    assert.deepEqual([c.fpr.at(-1), c.tpr.at(-1)], [1, 1]);
    for (let i = 1; i < c.fpr.length; i++) {
      assert.ok(c.fpr[i] >= c.fpr[i - 1] && c.tpr[i] >= c.tpr[i - 1], `${c.class} not monotone at ${i}`);
    }
  }
  assert.ok(JSON.stringify(roc).length < 8000, `${JSON.stringify(roc).length} bytes`);
});

Deno.test("defaultMaxPoints keeps a thousand-class roc.json to about ten thousand points a split", () => {
  assert.equal(defaultMaxPoints(3), 101);
  assert.equal(defaultMaxPoints(200), 50);
  assert.equal(defaultMaxPoints(1000), 21);
});

Deno.test("thinCurve keeps short curves whole and spreads kept points along a long one", () => {
  assert.deepEqual(thinCurve([0, 0.5, 1], [0, 0.5, 1], 5), [[0, 0.5, 1], [0, 0.5, 1]]);
  const n = 1001;
  const fpr = Array.from({ length: n }, (_, i) => i / (n - 1));
  const [f, t] = thinCurve(fpr, fpr, 11);
  assert.deepEqual(f, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  assert.deepEqual(t, f);
});

Deno.test("buildRocArtifact lists a class with no rows in the split instead of drawing it", () => {
  const probs = new Float32Array([0.8, 0.1, 0.1, 0.3, 0.6, 0.1, 0.6, 0.3, 0.1, 0.2, 0.7, 0.1]);
  const y = new Int32Array([0, 1, 0, 1]);
  const split = buildRocArtifact({ test: { probs, y } }, CLASSES).splits.test!;
  assert.deepEqual(split.curves.map((c) => c.class), ["a", "b"]);
  assert.deepEqual(split.skipped, ["c"]);
});

Deno.test("buildRocArtifact refuses probabilities that are not n*k values", () => {
  assert.throws(
    () => buildRocArtifact({ test: { probs: new Float32Array(5), y: new Int32Array(2) } }, CLASSES),
    /n\*k = 2\*3 = 6 values, received 5/,
  );
  assert.throws(
    () => buildRocArtifact({ test: { probs: new Float32Array(6), y: new Int32Array([0, 3]) } }, CLASSES),
    /y\[1\] must be a class index in \[0, 3\), received 3/,
  );
});

Deno.test("roc.json round-trips through its one-line file and a damaged one is refused by field", async () => {
  const roc = buildRocArtifact({ test: syntheticScores(30, 3, { seed: 9 }) }, CLASSES);
  const dir = await Deno.makeTempDir({ prefix: "mmml_roc_" });
  const folder = artifactFolder(dir);
  await folder.write("roc", roc);
  const text = await Deno.readTextFile(folder.path("roc.json"));
  await Deno.remove(dir, { recursive: true });
  assert.equal(text.trim().split("\n").length, 1);
  assert.deepEqual(parseRocArtifact(JSON.parse(text)), roc);
  const bad = JSON.parse(text);
  bad.splits.test.curves[1].tpr[2] = "high";
  assert.throws(
    () => parseRocArtifact(bad, "roc.json of iris@1"),
    (e) =>
      e instanceof MmmlError && e.code === "artifact_corrupt" &&
      /roc\.json of iris@1: splits\.test\.curves\.1\.tpr\.2: .*received "high"/.test(e.message),
  );
  assert.throws(() => parseRocArtifact({ ...roc, format: "other/9" }), /format: .*received "other\/9"/);
});
