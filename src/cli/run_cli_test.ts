import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { parseCommandArgs } from "./args.ts";
import type { CliContext } from "./context.ts";
import { type CommandEntry, COMMANDS, runCli } from "./run_cli.ts";

/** Runs the CLI in-process and captures its output. */
async function cli(
  args: string[],
  { env = {}, commands }: { env?: Record<string, string>; commands?: Record<string, CommandEntry> } = {},
) {
  let stdout = "";
  let stderr = "";
  const code = await runCli({
    args,
    env,
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    commands,
  });
  return { code, stdout, stderr };
}

const FAKE: Record<string, CommandEntry> = {
  echo: {
    summary: "prints its arguments",
    load: () =>
      Promise.resolve({
        run: (args: string[], ctx: CliContext) => {
          const { values, positionals } = parseCommandArgs(args, {
            name: "echo",
            summary: "",
            flags: { loud: { type: "boolean" } },
            positionals: ["WORD..."],
          });
          ctx.stdout(positionals.join(" ") + (values.loud ? "!" : "") + "\n");
          ctx.logger.info("echoed");
          return Promise.resolve(0);
        },
      }),
  },
  bad: {
    summary: "fails with bad input",
    load: () =>
      Promise.resolve({ run: () => Promise.reject(new MmmlError("file_not_found", 'Cannot read "x.csv"')) }),
  },
  crash: {
    summary: "has a bug",
    load: () => Promise.resolve({ run: () => Promise.reject(new TypeError("oops")) }),
  },
  missing: { summary: "not written yet", load: () => import("./no_such_command_module.ts") },
};

Deno.test("runCli runs a command and returns its status", async () => {
  const r = await cli(["echo", "hello", "--loud"], { commands: FAKE });
  assert.deepEqual([r.code, r.stdout], [0, "hello!\n"]);
  assert.equal(JSON.parse(r.stderr).msg, "echoed", "logs go to stderr as JSON lines off a terminal");
});

Deno.test("runCli exits 2 naming an unknown flag", async () => {
  const r = await cli(["echo", "--lod"], { commands: FAKE });
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, 'mmml: Unknown flag --lod for "mmml echo" (did you mean --loud?)\n');
  const real = await cli(["config", "show", "--epoch", "5"]);
  assert.equal(real.code, 2);
  assert.equal(real.stderr, 'mmml: Unknown flag --epoch for "mmml config show" (did you mean --epochs?)\n');
});

Deno.test("runCli exits 2 for an unknown command, a missing command and a stray global flag", async () => {
  const unknown = await cli(["evalute"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^mmml: Unknown command "evalute"; did you mean "evaluate"\?/);
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Commands:\n {2}train/);
  assert.match(none.stderr, /mmml: no command given/);
  const flag = await cli(["--verison"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /^mmml: Unknown flag --verison before the command \(did you mean --version\?\)/);
});

Deno.test("runCli exits 2 for domain errors and 1 for internal ones", async () => {
  const bad = await cli(["bad"], { commands: FAKE });
  assert.deepEqual([bad.code, bad.stderr], [2, 'mmml: Cannot read "x.csv"\n']);
  const crash = await cli(["crash"], { commands: FAKE });
  assert.equal(crash.code, 1);
  assert.equal(crash.stderr, "mmml: internal error: oops\nmmml: set MMML_DEBUG=1 for a stack trace\n");
});

Deno.test("runCli prints stack traces only with MMML_DEBUG=1", async () => {
  const plain = await cli(["bad"], { commands: FAKE });
  assert.doesNotMatch(plain.stderr, /\n\s+at /);
  const debug = await cli(["crash"], { commands: FAKE, env: { MMML_DEBUG: "1" } });
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /^mmml: internal error: oops\nTypeError: oops\n\s+at /);
});

Deno.test("runCli reports a command module that cannot load as an internal error", async () => {
  const r = await cli(["missing"], { commands: FAKE });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^mmml: internal error: the "missing" command failed to load: .*no_such_command_module\.ts/,
  );
});

Deno.test("runCli --version prints the version from deno.json", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  for (const flag of ["--version", "-V"]) {
    const r = await cli([flag]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `mmml ${version}\n`, ""]);
  }
});

Deno.test("runCli --help lists every command", async () => {
  const r = await cli(["--help"]);
  assert.equal(r.code, 0);
  for (const name of Object.keys(COMMANDS)) assert.match(r.stdout, new RegExp(`\\n  ${name} +\\S`));
});

Deno.test("runCli rejects an unknown MMML_LOG_LEVEL", async () => {
  const r = await cli(["echo", "x"], { commands: FAKE, env: { MMML_LOG_LEVEL: "loud" } });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^mmml: MMML_LOG_LEVEL must be one of debug\|info\|warn\|error\|silent, received "loud"/,
  );
});
