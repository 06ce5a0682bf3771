/**
 * What a command gets from the CLI frame instead of reading Deno.* itself, so tests can run any command
 * in-process with captured output and a chosen environment.
 */
import type { Logger } from "../log.ts";

/** Everything a command may touch of the outside world. */
export interface CliContext {
  /** The environment (a copy; commands never read Deno.env). */
  env: Record<string, string>;
  /** Machine output (`--json`) and requested results; nothing else goes here. */
  stdout: (text: string) => void;
  /** Human text and progress. */
  stderr: (text: string) => void;
  /** Whether stderr is a terminal: progress bars redraw in place there, logs are human text. */
  stderrIsTerminal: boolean;
  /** Level-gated logging to stderr. */
  logger: Logger;
  /** The directory relative paths resolve against. */
  cwd: string;
  /** All of standard input, for `--input -`. */
  stdin: () => Promise<Uint8Array>;
}

/** A command module: `src/cli/commands/<name>.ts` exports `run`, which returns the process exit status. */
export interface CommandModule {
  run(args: string[], ctx: CliContext): Promise<number>;
}
