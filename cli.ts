/**
 * The `mmml` program: reads Deno.args and Deno.env, runs the CLI, and exits with its status. The only
 * Deno.exit in the code base; everything else returns a status so it can run in-process under test.
 */
import { runCli } from "./src/cli/run_cli.ts";
import { privateRuntimeDir } from "./src/host/runtime_dir.ts";

const encoder = new TextEncoder();

/** A writer that writes all of `text`, since writeSync may write only part of a large buffer. */
function writerFor(file: { writeSync(p: Uint8Array): number }): (text: string) => void {
  return (text) => {
    let bytes = encoder.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  };
}

if (import.meta.main) {
  const runtimeDir = privateRuntimeDir(Deno.env.toObject());
  if (runtimeDir) Deno.env.set("XDG_RUNTIME_DIR", runtimeDir);
  const status = await runCli({
    args: Deno.args,
    env: Deno.env.toObject(),
    stdout: writerFor(Deno.stdout),
    stderr: writerFor(Deno.stderr),
    cwd: Deno.cwd(),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    stdin: () => new Response(Deno.stdin.readable).bytes(),
  });
  Deno.exit(status);
}
