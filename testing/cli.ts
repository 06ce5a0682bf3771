/**
 * Test helpers for the command end-to-end tests: run `mmml` in-process with captured output, or as a
 * real subprocess for exit codes, and snapshot a registry folder to prove a failed run left it alone.
 */
import { join } from "node:path";
import { runCli } from "../src/cli/run_cli.ts";

/** What one CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `mmml ARGS` in-process; logs go to the captured stderr as JSON lines, or as a terminal shows them
 * with `stderrIsTerminal`.
 */
export async function cli(
  args: string[],
  { cwd = ".", stderrIsTerminal = false, stdin, env }: {
    cwd?: string;
    stderrIsTerminal?: boolean;
    /** The environment the command sees (default: empty). */
    env?: Record<string, string>;
    /** What standard input holds (`--input -`). */
    stdin?: string | Uint8Array;
  } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli({
    args,
    cwd,
    env,
    stderrIsTerminal,
    stdin: () =>
      Promise.resolve(
        typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin ?? new Uint8Array(),
      ),
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

/** The repository's cli.ts, for subprocess runs. */
export const CLI_PATH = new URL("../cli.ts", import.meta.url).pathname;

/** Runs `deno run cli.ts ARGS` with the permissions of `deno task mmml`, to check real exit codes. */
export async function cliProcess(args: string[], { cwd }: { cwd?: string } = {}): Promise<CliRun> {
  const perms = ["--allow-read", "--allow-write", "--allow-env", "--allow-ffi", "--allow-net", "--allow-sys"];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...perms, CLI_PATH, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Every path under `dir` (folders end in "/"), sorted; empty when `dir` does not exist. */
export async function listTree(dir: string, prefix = ""): Promise<string[]> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(join(dir, prefix)));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix + e.name;
    if (e.isDirectory) out.push(rel + "/", ...(await listTree(dir, rel + "/")));
    else out.push(rel);
  }
  return out.sort();
}

/** The messages of the JSON log lines on stderr at `level` (e.g. "warn"). */
export function logMessages(stderr: string, level: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
    .filter((l) => l.level === level).map((l) => String(l.msg));
}
