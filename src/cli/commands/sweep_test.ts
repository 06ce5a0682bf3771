import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../../../testing/cli.ts";
import { openRegistry } from "../../registry/open_registry.ts";

const IRIS = new URL("../../../fixtures/iris.csv", import.meta.url).pathname;

const SWEEP_YAML = `data:
  path: ${IRIS}
  label: species
training:
  epochs: 4
  batch_size: 16
  backend: cpu
  progress: false
sweep:
  metric: val.log_loss
  parameters:
    training.optimizer.lr: [0.003, 0.03]
    model.hidden: [[8]]
`;

Deno.test("sweep run trains every trial here as train would, tags each version and names the best", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_sweep_run_" });
  try {
    await Deno.writeTextFile(join(dir, "sweep.yaml"), SWEEP_YAML);
    const r = await cli(["sweep", "run", "--config", "sweep.yaml", "--json"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout);
    assert.equal(status.state, "completed");
    assert.equal(status.mode, "min", "a loss is minimised unless the sweep says otherwise");
    assert.deepEqual(status.trials.map((t: { state: string }) => t.state), ["completed", "completed"]);
    assert.deepEqual(status.trials.map((t: { version: number }) => t.version), [1, 2]);
    assert.deepEqual(status.trials[1].params, { "training.optimizer.lr": 0.03, "model.hidden": [8] });
    const losses = status.trials.map((t: { metrics: { val: { log_loss: number } } }) =>
      t.metrics.val.log_loss
    );
    assert.equal(status.best.trial, losses[0] <= losses[1] ? 1 : 2);

    const registry = await openRegistry(join(dir, "models"));
    try {
      const versions = await registry.list("iris");
      assert.deepEqual(versions.map((v) => v.meta.sweep?.trial), [1, 2]);
      assert.ok(versions.every((v) => v.meta.sweep?.id === status.sweep));
      const config = JSON.parse(await Deno.readTextFile(join(versions[1].dir, "config.json")));
      assert.equal(config.training.optimizer.lr, 0.03, "the trial's setting is what trained");
      assert.equal(config.sweep, undefined, "a version's config is the trial's, without the sweep section");
    } finally {
      await registry.close();
    }
    const report = await cli(["sweep", "report", status.sweep, "--json"], { cwd: dir });
    assert.equal(report.code, 0, report.stderr);
    const page = await Deno.readTextFile(JSON.parse(report.stdout).path);
    assert.match(page, /minimising val\.log_loss/);
    assert.match(page, new RegExp(`<tr class="best"[^>]*><th scope="row">${status.best.trial}</th>`));
    assert.match(
      page,
      /<svg[^>]*>[\s\S]*val\.log_loss against training\.optimizer\.lr/,
      "a numeric parameter is a chart",
    );
    assert.match(page, /<caption>val\.log_loss by model\.hidden<\/caption>/, "a list parameter is a table");
    assert.doesNotMatch(page, /<script|src="|href="https?:/, "self-contained");
    const show = await cli(["registry", "show", "iris@2"], { cwd: dir });
    assert.match(
      show.stdout,
      new RegExp(`sweep: +${status.sweep} trial 2: training.optimizer.lr=0.03 model.hidden=\\[8\\]`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sweep: no sweep section, a folder registry for submit, a worker without PostgreSQL: each says what to do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_sweep_bad_" });
  try {
    await Deno.writeTextFile(join(dir, "plain.yaml"), `data:\n  path: ${IRIS}\n  label: species\n`);
    await Deno.writeTextFile(join(dir, "sweep.yaml"), SWEEP_YAML);
    const none = await cli(["sweep", "run", "--config", "plain.yaml"], { cwd: dir });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /plain\.yaml has no sweep: section/);
    const submit = await cli(["sweep", "submit", "--config", "sweep.yaml", "--registry", "models"], {
      cwd: dir,
    });
    assert.equal(submit.code, 2);
    assert.match(
      submit.stderr,
      /job queue of a PostgreSQL registry .*received "models".*mmml sweep run trains the trials here/,
    );
    const worker = await cli(["worker", "--registry", "models"], { cwd: dir });
    assert.equal(worker.code, 2);
    assert.match(worker.stderr, /mmml worker takes trials from a PostgreSQL registry's queue/);
    const sub = await cli(["sweep", "stauts"], { cwd: dir });
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /received "stauts" \(did you mean "status"\?\)/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["plain.yaml", "sweep.yaml"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
