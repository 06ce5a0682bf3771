/**
 * The CLI frame: picks a command from one table, runs it with a CliContext, and turns what happens into
 * an exit status: 0 success, 2 bad input or usage (MmmlError codes with exit 2), 1 anything internal.
 * Errors print as `mmml: <message>` on stderr; stack traces only when MMML_DEBUG=1.
 */
import { asDiskFull } from "../disk_space.ts";
import { redactSecrets } from "../redact.ts";
import { closestMatch } from "../closest_match.ts";
import { exitCodeFor, MmmlError } from "../errors.ts";
import { createLogger, LOG_LEVELS, type LogLevel } from "../log.ts";
import { VERSION } from "../version.ts";
import type { CliContext, CommandModule } from "./context.ts";

/** A command in the table: a one-line summary for `mmml --help`, and a lazy loader for its module. */
export interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

// Modules load lazily so `mmml config show` does not pay for TensorFlow.js or ONNX Runtime, and so a
// command that fails to load breaks only itself. Literal specifiers keep them visible to bundlers.
/** Every command of `mmml`, by name. */
export const COMMANDS = Object.freeze(
  {
    train: {
      summary: "train a model on a CSV file or an image folder and register it",
      load: () => import("./commands/train.ts"),
    },
    evaluate: {
      summary: "score a registered model on labelled data",
      load: () => import("./commands/evaluate.ts"),
    },
    predict: {
      summary: "predict with a registered model, one row or image per prediction",
      load: () => import("./commands/predict.ts"),
    },
    export: { summary: "export a registered model to ONNX", load: () => import("./commands/export.ts") },
    serve: { summary: "serve registered models over HTTP", load: () => import("./commands/serve.ts") },
    data: { summary: "inspect a data set (data info FILE)", load: () => import("./commands/data.ts") },
    report: {
      summary: "write a registered version's HTML training report",
      load: () => import("./commands/report.ts"),
    },
    config: {
      summary: "print the effective config (config show)",
      load: () => import("./commands/config_show.ts"),
    },
    registry: {
      summary: "list and inspect registered models",
      load: () => import("./commands/registry.ts"),
    },
    doctor: {
      summary: "check backends, providers and permissions",
      load: () => import("./commands/doctor.ts"),
    },
    "gpu-check": {
      summary: "train ResNet steps on the GPU (WebGPU) beside the host's PyTorch; one JSON line",
      load: () => import("./commands/gpu_check.ts"),
    },
    sweep: {
      summary:
        "hyperparameter sweeps: run here, or submit to a PostgreSQL queue (sweep run|submit|status|cancel)",
      load: () => import("./commands/sweep.ts"),
    },
    worker: {
      summary: "train queued sweep trials from a PostgreSQL registry",
      load: () => import("./commands/worker.ts"),
    },
  } as const satisfies Record<string, CommandEntry>,
);

export interface RunCliOptions {
  /** Arguments after the program name. */
  args: readonly string[];
  env?: Record<string, string>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd?: string;
  /** Human log lines on a terminal, JSON lines otherwise. */
  stderrIsTerminal?: boolean;
  /** Reads all of standard input (`--input -`); none by default. */
  stdin?: () => Promise<Uint8Array>;
  /** The command table; tests pass their own. */
  commands?: Readonly<Record<string, CommandEntry>>;
}

/** Runs one CLI invocation and returns its exit status; never throws. */
export async function runCli(
  {
    args,
    env = {},
    stdout,
    stderr,
    cwd = ".",
    stderrIsTerminal = false,
    stdin = () => Promise.resolve(new Uint8Array()),
    commands = COMMANDS,
  }: RunCliOptions,
): Promise<number> {
  const debug = env.MMML_DEBUG === "1";
  try {
    const [first, ...rest] = args;
    if (first === undefined) {
      stderr(globalHelp(commands));
      throw new MmmlError("usage", "no command given; see the list above");
    }
    if (first === "--version" || first === "-V") {
      stdout(`mmml ${VERSION}\n`);
      return 0;
    }
    if (first === "--help" || first === "-h") {
      stdout(globalHelp(commands));
      return 0;
    }
    if (first === "help") {
      return rest.length ? await runCommand(rest[0], ["--help"]) : (stdout(globalHelp(commands)), 0);
    }
    if (first.startsWith("-")) {
      const near = closestMatch(first.replace(/^-+/, ""), ["help", "version"]);
      const hint = near ? ` (did you mean --${near}?)` : "; a command comes first, e.g. mmml train --help";
      throw new MmmlError("usage", `Unknown flag ${first} before the command${hint}`);
    }
    return await runCommand(first, rest);
  } catch (thrown) {
    const err = asDiskFull(thrown);
    stderr(formatFailure(err, debug));
    return exitCodeFor(err);
  }

  async function runCommand(name: string, rest: string[]): Promise<number> {
    const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (!entry) {
      const near = closestMatch(name, Object.keys(commands));
      const hint = near ? `did you mean "${near}"? ` : "";
      throw new MmmlError("usage", `Unknown command "${name}"; ${hint}run "mmml --help" for the list`);
    }
    const mod = await loadCommand(name, entry);
    const logger = createLogger({ level: logLevel(env, debug), json: !stderrIsTerminal, sink: stderr });
    const ctx: CliContext = { env: { ...env }, stdout, stderr, stderrIsTerminal, logger, cwd, stdin };
    const code = await mod.run(rest, ctx);
    if (!Number.isInteger(code)) {
      throw new TypeError(`command "${name}" returned ${code} instead of an exit status`);
    }
    return code;
  }
}

async function loadCommand(name: string, entry: CommandEntry): Promise<CommandModule> {
  let mod: Partial<CommandModule>;
  try {
    mod = await entry.load();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new MmmlError("internal", `the "${name}" command failed to load: ${why}`, { cause: err });
  }
  if (typeof mod?.run !== "function") {
    throw new MmmlError("internal", `the "${name}" command module does not export run(args, ctx)`);
  }
  return mod as CommandModule;
}

function logLevel(env: Record<string, string>, debug: boolean): LogLevel {
  const wanted = env.MMML_LOG_LEVEL;
  if (wanted === undefined || wanted === "") return debug ? "debug" : "info";
  if ((LOG_LEVELS as readonly string[]).includes(wanted)) return wanted as LogLevel;
  throw new MmmlError("usage", `MMML_LOG_LEVEL must be one of ${LOG_LEVELS.join("|")}, received "${wanted}"`);
}

/** `mmml: <message>` for a domain error; internal errors say so and how to get the stack. */
function formatFailure(err: unknown, debug: boolean): string {
  const domain = err instanceof MmmlError && err.code !== "internal";
  const message = err instanceof Error ? err.message : String(err);
  let text = `mmml: ${domain ? "" : "internal error: "}${message}\n`;
  if (debug) {
    for (let e: unknown = err; e instanceof Error; e = e.cause) {
      text += `${e === err ? "" : "caused by: "}${e.stack ?? e.message}\n`;
    }
  } else if (!domain) {
    text += "mmml: set MMML_DEBUG=1 for a stack trace\n";
  }
  return redactSecrets(text);
}

function globalHelp(commands: Readonly<Record<string, CommandEntry>>): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    `mmml ${VERSION}: train, evaluate, export and serve classifiers and regressors`,
    "",
    "Usage: mmml <command> [flags]     (mmml <command> --help for its flags)",
    "",
    "Commands:",
    ...rows,
    "",
    "Global flags:",
    "  -h, --help     show this help",
    "  -V, --version  print the version",
    "",
    "Environment: MMML_LOG_LEVEL=debug|info|warn|error|silent, MMML_DEBUG=1 (stack traces)",
    "",
  ].join("\n");
}
