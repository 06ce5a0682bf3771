/** Injected, level-gated logging. Human text on a terminal, JSON lines otherwise; always to stderr. */
import { redactDeep, redactSecrets } from "./redact.ts";
/** The log levels, most verbose first; MMML_LOG_LEVEL takes one of them. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Raw line writer for progress bars and human output (stderr by default). */
  write(text: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface LoggerOptions {
  level?: LogLevel;
  json?: boolean;
  sink?: (line: string) => void;
  clock?: () => Date;
}

const encoder = new TextEncoder();
const stderrSink = (line: string) => Deno.stderr.writeSync(encoder.encode(line));

/** Creates a logger; `json` defaults to true when stderr is not a terminal. */
export function createLogger(
  { level = "info", json, sink = stderrSink, clock = () => new Date() }: LoggerOptions = {},
): Logger {
  const asJson = json ?? !Deno.stderr.isTerminal();
  const emit = (lvl: Exclude<LogLevel, "silent">, text: string, data?: LogFields) => {
    if (RANK[lvl] < RANK[level]) return;
    // Nothing logged keeps a password (a registry URL in a message or a field).
    const msg = redactSecrets(text);
    const fields = data && redactDeep(data);
    if (asJson) {
      sink(JSON.stringify({ time: clock().toISOString(), level: lvl, msg, ...fields }) + "\n");
    } else {
      const extra = fields && Object.keys(fields).length
        ? " " +
          Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
            .join(" ")
        : "";
      const tag = lvl === "info" ? "" : `${lvl}: `;
      sink(`${tag}${msg}${extra}\n`);
    }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    write: (text) => {
      if (level !== "silent") sink(text);
    },
  };
}

/** A logger that records lines, for tests. */
export function createMemoryLogger(level: LogLevel = "debug"): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level, json: true, sink: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}
