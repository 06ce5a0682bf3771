import assert from "node:assert/strict";
import { join } from "node:path";
import { COMMANDS, runCli } from "../run_cli.ts";
import { logMessages } from "../../../testing/cli.ts";

const IRIS = new URL("../../../fixtures/iris.csv", import.meta.url).pathname;
// Until cli's table lists `report`, the tests add it themselves.
const TABLE = { ...COMMANDS, report: { summary: "report", load: () => import("./report.ts") } };

async function mmml(
  args: string[],
  { cwd = ".", env = {} }: { cwd?: string; env?: Record<string, string> } = {},
) {
  let stdout = "";
  let stderr = "";
  const code = await runCli({
    args,
    cwd,
    env,
    commands: TABLE,
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

Deno.test("mmml report renders a trained version's report and refuses a tampered one", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_report_cmd_" });
  const registry = join(dir, "models");
  try {
    const trained = await mmml([
      "train",
      "--data",
      IRIS,
      "--label",
      "species",
      "--registry",
      registry,
      "--epochs",
      "6",
      "--set",
      "training.progress=false",
      "--json",
    ]);
    assert.equal(trained.code, 0, trained.stderr);

    await t.step("--out and --json: the file holds the run's charts and figures", async () => {
      const out = join(dir, "iris.html");
      const r = await mmml(["report", "iris@1", "--registry", registry, "--out", out, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout);
      const html = await Deno.readTextFile(out);
      assert.deepEqual(result, {
        model: "iris",
        version: 1,
        path: out,
        bytes: new TextEncoder().encode(html).length,
      });
      assert.match(html, /<h1>iris<span class="version">@1<\/span><\/h1>/);
      const d = /<path class="series" data-series="validation loss" d="([^"]+)"/.exec(html)![1];
      assert.equal(d.split(/[ML]/).filter((p) => p.trim()).length, 6, "one point per epoch");
      assert.equal((html.match(/<rect class="cell/g) ?? []).length, 9);
      const metrics = JSON.parse(await Deno.readTextFile(join(registry, "iris", "v1", "metrics.json")));
      assert.ok(html.includes(`<td class="num">${metrics.test.accuracy.toFixed(4)}</td>`));
      // The fixture is still where training read it, unchanged: its columns are summarized.
      assert.match(html, /Columns of the training file \(5\)/);
    });

    await t.step("without --out it writes NAME-vVERSION-report.html in the working directory", async () => {
      const r = await mmml(["report", "iris", "--registry", "models"], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        `iris@1 -> iris-v1-report.html (${(await Deno.stat(join(dir, "iris-v1-report.html"))).size} bytes)\n`,
      );
    });

    await t.step("--open hands the written file to $BROWSER", async () => {
      const seen = join(dir, "opened.txt");
      const script = join(dir, "browser.sh");
      await Deno.writeTextFile(script, `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\n`);
      const r = await mmml(["report", "iris@1", "--registry", registry, "--out", "open.html", "--open"], {
        cwd: dir,
        env: { BROWSER: `sh ${script} %s` },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await Deno.readTextFile(seen), join(dir, "open.html"));
      const failing = await mmml(
        ["report", "iris@1", "--registry", registry, "--out", "open.html", "--open"],
        {
          cwd: dir,
          env: { BROWSER: "false" },
        },
      );
      assert.equal(failing.code, 0, "the report is written even when the browser fails");
      assert.match(
        logMessages(failing.stderr, "warn").join("\n"),
        /--open: false exited with status 1; open .*open\.html yourself/,
      );
    });

    await t.step("a changed byte in an artifact is refused and no report is written", async () => {
      const path = join(registry, "iris", "v1", "metrics.json");
      const text = await Deno.readTextFile(path);
      await Deno.writeTextFile(path, text.replace('"n": 23', '"n": 24'));
      const out = join(dir, "tampered.html");
      const r = await mmml(["report", "iris@1", "--registry", registry, "--out", out]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /mmml: Artifact "metrics\.json" of iris@1 .* has changed since registration/);
      await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mmml report names an unknown model and a missing argument", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_report_cmd_" });
  try {
    const missing = await mmml(["report", "nope@2", "--registry", dir]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope/);
    const usage = await mmml(["report", "--registry", dir]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /"mmml report" needs NAME\[@VERSION\]/);
    const help = await mmml(["report", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: mmml report \[flags\] NAME\[@VERSION\]/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
