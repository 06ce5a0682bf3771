import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { runCli } from "../run_cli.ts";
import { MmmlConfig } from "../../config/schema.ts";

async function cli(args: string[], cwd = ".") {
  let stdout = "";
  let stderr = "";
  const code = await runCli({ args, cwd, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

Deno.test("config show prints the defaults as YAML that parses back to the same config", async () => {
  const r = await cli(["config", "show"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^# effective config: defaults\n/);
  assert.match(r.stdout, /\n {2}hidden: \[128, 64\]\n/);
  assert.deepEqual(parse(r.stdout), MmmlConfig.parse({}));
});

Deno.test("config show --json applies files, flags and --set in order", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mmml_config_show_" });
  try {
    await Deno.writeTextFile(
      join(cwd, "a.yaml"),
      "training:\n  epochs: 3\n  batch_size: 8\nmodel:\n  hidden: [4]\n",
    );
    const r = await cli(
      [
        "config",
        "show",
        "--config",
        "a.yaml",
        "--epochs",
        "7",
        "--model",
        "resnet18",
        "--set",
        "model.stem=small",
        "--json",
      ],
      cwd,
    );
    assert.equal(r.code, 0, r.stderr);
    const config = JSON.parse(r.stdout);
    assert.equal(config.training.epochs, 7);
    assert.equal(config.training.batch_size, 8);
    assert.deepEqual(config.model, { arch: "resnet18", stem: "small", dropout: 0.2, freeze_backbone: false });
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("config show exits 2 with the file, key and received value of a bad config", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mmml_config_show_" });
  try {
    await Deno.writeTextFile(join(cwd, "bad.yaml"), "training:\n  epochs: ten\n");
    const r = await cli(["config", "show", "--config", "bad.yaml"], cwd);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      'mmml: Cannot load config "bad.yaml": training.epochs: expected a positive integer, received "ten" (line 2)\n',
    );
    const missing = await cli(["config", "show", "--config", "nope.yaml"], cwd);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^mmml: Cannot load config "nope\.yaml": file not found/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("config without a known subcommand is a usage error", async () => {
  const none = await cli(["config"]);
  assert.equal(none.code, 2);
  assert.equal(none.stderr, "mmml: mmml config needs a subcommand: show; received none\n");
  const typo = await cli(["config", "shw"]);
  assert.equal(
    typo.stderr,
    'mmml: mmml config needs a subcommand: show; received "shw" (did you mean "show"?)\n',
  );
});
