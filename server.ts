/**
 * The prediction server as a program: `mmml serve` with this process's arguments and environment (see
 * src/cli/commands/serve.ts for the flags). Like cli.ts, this file alone reads Deno.args and Deno.env;
 * it sets Deno.exitCode instead of exiting, so the process ends on its own once the server has drained.
 *
 *   deno run -A server.ts [--port 8080] [--host 127.0.0.1] [--model NAME[@VER]]... [--registry DIR]
 */
import { runCli } from "./src/cli/run_cli.ts";
import { privateRuntimeDir } from "./src/host/runtime_dir.ts";

const encoder = new TextEncoder();
const write = (file: { writeSync(p: Uint8Array): number }) => (text: string) => {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
};

/** Runs the server until a signal drains it; resolves with the process exit status. */
export function main(args: readonly string[], env: Record<string, string>): Promise<number> {
  return runCli({
    args: ["serve", ...args],
    env,
    stdout: write(Deno.stdout),
    stderr: write(Deno.stderr),
    cwd: Deno.cwd(),
    stderrIsTerminal: Deno.stderr.isTerminal(),
  });
}

if (import.meta.main) {
  const runtimeDir = privateRuntimeDir(Deno.env.toObject());
  if (runtimeDir) Deno.env.set("XDG_RUNTIME_DIR", runtimeDir);
  Deno.exitCode = await main(Deno.args, Deno.env.toObject());
}
