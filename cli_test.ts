/** cli.ts as a real process: the exit status reaches the shell. */
import assert from "node:assert/strict";

async function mmml(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "cli.ts", ...args],
    cwd: new URL(".", import.meta.url),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("cli.ts exits with the CLI's status: 0 for --version, 2 for an unknown flag", async () => {
  const version = await mmml("--version");
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^mmml \d+\.\d+\.\d+\n$/);
  const bad = await mmml("config", "show", "--sett", "x=1");
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'mmml: Unknown flag --sett for "mmml config show" (did you mean --set?)\n');
});
