/**
 * A registry URL's password never leaves the process: not in `doctor`, `config show`, a failed registry
 * command's error, the logs, nor (with a live PostgreSQL) a version's config.json and report.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../../../testing/cli.ts";
import { PG_SKIP, PG_TEST_URL, pgTestName } from "../../../testing/registry_support.ts";

// Nothing listens on port 1: every command that connects fails, and says so without the password.
const URL_WITH_PASSWORD = "postgres://mmml:hunter2@127.0.0.1:1/models";

Deno.test("doctor, config show and a failing registry command print no password", async () => {
  const doctor = await cli(["doctor", "--json", "--registry", URL_WITH_PASSWORD]);
  assert.equal(JSON.parse(doctor.stdout).registry.location, "postgres://mmml:***@127.0.0.1:1/models");
  const config = await cli(["config", "show", "--registry", URL_WITH_PASSWORD]);
  assert.equal(config.code, 0, config.stderr);
  assert.match(config.stdout, /postgres:\/\/mmml:\*\*\*@127\.0\.0\.1:1\/models/);
  const list = await cli(["registry", "list", "--registry", URL_WITH_PASSWORD]);
  assert.notEqual(list.code, 0);
  assert.match(list.stderr, /mmml:\*\*\*@127\.0\.0\.1:1/);
  for (const run of [doctor, config, list]) {
    assert.ok(!(run.stdout + run.stderr).includes("hunter2"), run.stdout + run.stderr);
  }
});

Deno.test({
  name: pgTestName(
    "a version trained on a PostgreSQL registry keeps no password in config.json or its report",
  ),
  ignore: PG_SKIP !== null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mmml_secrets_" });
    const password = new URL(PG_TEST_URL).password;
    const schema = "mmml_t_secrets" + dir.replace(/[^a-z0-9]/gi, "").slice(-8).toLowerCase();
    const url = `${PG_TEST_URL}${PG_TEST_URL.includes("?") ? "&" : "?"}schema=${schema}`;
    try {
      const run = await cli([
        "train",
        "--registry",
        url,
        "--set",
        `registry.artifacts=${join(dir, "artifacts")}`,
        "--epochs",
        "2",
        "--json",
      ]);
      assert.equal(run.code, 0, run.stderr);
      const artifact = JSON.parse(run.stdout).artifact;
      const saved = JSON.parse(await Deno.readTextFile(join(artifact, "config.json")));
      assert.match(saved.registry.path, /:\*\*\*@/);
      for (const file of ["config.json", "report.html"]) {
        const text = await Deno.readTextFile(join(artifact, file));
        assert.ok(!text.includes(`:${password}@`), `${file} holds the password`);
      }
      assert.ok(!run.stderr.includes(`:${password}@`), "a log line holds the password");
    } finally {
      const pg = (await import("pg")).default;
      const client = new pg.Client({ connectionString: PG_TEST_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
