/**
 * Strict argument parsing for commands. Hand-written rather than node:util parseArgs so an unknown flag
 * is a usage error that names it and suggests the closest known one, and so a value's type is checked
 * with the flag's name in the message.
 */
import { closestMatch } from "../closest_match.ts";
import { CONFIG_FLAGS, type ConfigFlagName } from "../config/overrides.ts";
import { choicesAt } from "../config/schema_path.ts";
import { describeValue, MmmlError } from "../errors.ts";

/** One flag a command accepts. */
export interface FlagSpec {
  type: "string" | "number" | "boolean";
  /** Repeatable (`--config a.yaml --config b.yaml`); values arrive as an array in order. */
  multiple?: boolean;
  /** One letter, used as `-o`. */
  short?: string;
  /** Placeholder in help: `--epochs N`. */
  valueName?: string;
  description?: string;
}

/** A command's flags and positionals; `name` is how it is typed after `mmml` ("train", "data info"). */
export interface CommandSpec {
  name: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Positional names for help and checks: "FILE" is required, "[FILE]" optional, "FILE..." any number. */
  positionals?: readonly string[];
}

type Scalar<F extends FlagSpec> = F["type"] extends "number" ? number
  : F["type"] extends "boolean" ? boolean
  : string;
/** The parsed value of one flag: arrays for `multiple`, false for an absent boolean, else undefined. */
export type FlagValue<F extends FlagSpec> = F["multiple"] extends true ? Scalar<F>[]
  : F["type"] extends "boolean" ? boolean
  : Scalar<F> | undefined;

/** Parsed arguments, typed from the spec. */
export interface ParsedArgs<S extends CommandSpec> {
  values: { [K in keyof S["flags"]]: FlagValue<S["flags"][K]> };
  positionals: string[];
  /** `--help` or `-h` was given: print `formatHelp(spec)` to stdout and return 0. */
  help: boolean;
}

/** `--config FILE` (repeatable) and `--set key=value` (repeatable), for every command that reads config. */
export const CONFIG_FILE_FLAGS = Object.freeze(
  {
    config: {
      type: "string",
      multiple: true,
      valueName: "FILE",
      description: "config file (YAML or JSON); repeat to layer, later files win",
    },
    set: {
      type: "string",
      multiple: true,
      valueName: "KEY=VALUE",
      description: "override one config value, e.g. training.optimizer.lr=0.01 (applied last)",
    },
  } as const satisfies Record<string, FlagSpec>,
);

/** `--json`: machine output on stdout. */
export const JSON_FLAG = Object.freeze(
  { type: "boolean", description: "print one JSON object on stdout" } as const satisfies FlagSpec,
);

const NUMERIC_FLAGS: ReadonlySet<string> = new Set([
  "epochs",
  "batch-size",
  "lr",
  "seed",
  "port",
  "image-size",
  "threads",
]);

/**
 * Flag specs for config-setting flags (see CONFIG_FLAGS), as strings: the config layer parses and
 * validates them against the schema, so `--epochs ten` is reported like any other bad config value.
 */
export function configFlagSpecs<const N extends ConfigFlagName>(
  ...names: N[]
): { [K in N]: { type: "string"; valueName: string; description: string } } {
  const out: Record<string, FlagSpec> = {};
  for (const name of names) {
    const valueName = NUMERIC_FLAGS.has(name) ? "N" : name === "data" || name === "test" ? "PATH" : "VALUE";
    const choices = choicesAt(CONFIG_FLAGS[name].split("."));
    const description = `sets ${CONFIG_FLAGS[name]}` + (choices ? `: ${choices.join("|")}` : "");
    out[name] = { type: "string", valueName, description };
  }
  return out as { [K in N]: { type: "string"; valueName: string; description: string } };
}

/** Parses `args` (everything after the command name) against `spec`; throws MmmlError("usage"). */
export function parseCommandArgs<const S extends CommandSpec>(
  args: readonly string[],
  spec: S,
): ParsedArgs<S> {
  const where = `"mmml ${spec.name}"`;
  const values: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(spec.flags)) {
    values[name] = flag.multiple ? [] : flag.type === "boolean" ? false : undefined;
  }
  const positionals: string[] = [];
  const seen = new Set<string>();
  const end = args.indexOf("--");
  const head = end < 0 ? args : args.slice(0, end);
  if (head.includes("--help") || head.includes("-h")) {
    return { values, positionals, help: true } as ParsedArgs<S>;
  }

  for (let i = 0; i < head.length; i++) {
    const arg = head[i];
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const written = eq < 0 ? arg : arg.slice(0, eq);
    const { name, flag, negated } = resolveFlag(written, spec);
    let text: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (flag.type === "boolean") {
      if (text !== undefined && text !== "true" && text !== "false") {
        throw new MmmlError(
          "usage",
          `${written} takes no value or true|false, received ${describeValue(text)}`,
        );
      }
      text ??= "true";
      if (negated) text = text === "true" ? "false" : "true";
    } else if (text === undefined) {
      const next = head[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-" && !/^-\d/.test(next))) {
        const got = next === undefined ? "nothing" : `the flag ${next}`;
        throw new MmmlError(
          "usage",
          `${written} needs a value (${flag.valueName ?? "VALUE"}), received ${got}`,
        );
      }
      text = next;
      i++;
    }
    const value = convert(text, flag, written);
    if (flag.multiple) (values[name] as unknown[]).push(value);
    else if (seen.has(name)) {
      throw new MmmlError(
        "usage",
        `--${name} was given more than once; give it once (last: ${describeValue(text)})`,
      );
    } else values[name] = value;
    seen.add(name);
  }
  if (end >= 0) positionals.push(...args.slice(end + 1));
  checkPositionals(positionals, spec, where);
  return { values, positionals, help: false } as ParsedArgs<S>;
}

function resolveFlag(written: string, spec: CommandSpec) {
  if (!written.startsWith("--")) {
    const letter = written.slice(1);
    const hit = Object.entries(spec.flags).find(([, f]) => f.short === letter);
    if (hit && letter.length === 1) return { name: hit[0], flag: hit[1], negated: false };
    throw unknownFlag(written, spec);
  }
  const bare = written.slice(2);
  if (Object.hasOwn(spec.flags, bare)) return { name: bare, flag: spec.flags[bare], negated: false };
  const positive = bare.startsWith("no-") ? bare.slice(3) : undefined;
  if (positive && spec.flags[positive]?.type === "boolean") {
    return { name: positive, flag: spec.flags[positive], negated: true };
  }
  throw unknownFlag(written, spec);
}

function unknownFlag(written: string, spec: CommandSpec): MmmlError {
  const near = closestMatch(written.replace(/^-+/, ""), [...Object.keys(spec.flags), "help"]);
  const hint = near ? ` (did you mean --${near}?)` : `; run "mmml ${spec.name} --help" for its flags`;
  return new MmmlError("usage", `Unknown flag ${written} for "mmml ${spec.name}"${hint}`);
}

function convert(text: string, flag: FlagSpec, written: string): string | number | boolean {
  if (flag.type === "boolean") return text === "true";
  if (flag.type === "string") return text;
  const n = text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(n)) {
    throw new MmmlError("usage", `${written} expects a number, received ${describeValue(text)}`);
  }
  return n;
}

function checkPositionals(positionals: string[], spec: CommandSpec, where: string): void {
  const names = spec.positionals ?? [];
  const variadic = names.some((n) => n.endsWith("..."));
  const required = names.filter((n) => !n.startsWith("[") && !n.endsWith("..."));
  if (positionals.length < required.length) {
    throw new MmmlError("usage", `${where} needs ${required.slice(positionals.length).join(" ")}`);
  }
  if (!variadic && positionals.length > names.length) {
    const extra = positionals[names.length];
    const hint = names.length ? `it takes ${names.join(" ")}` : "it takes no positional arguments";
    throw new MmmlError("usage", `Unexpected argument ${describeValue(extra)} for ${where}; ${hint}`);
  }
}

/** Help text: usage line, summary and one line per flag. */
export function formatHelp(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const value = f.type === "boolean" ? "" : ` ${f.valueName ?? "VALUE"}${f.multiple ? "..." : ""}`;
    return [`${f.short ? `-${f.short}, ` : "    "}--${name}${value}`, f.description ?? ""];
  });
  rows.push(["-h, --help", "show this help"]);
  const width = Math.max(...rows.map(([left]) => left.length));
  const usage = ["mmml", spec.name, "[flags]", ...(spec.positionals ?? [])].join(" ");
  const lines = rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd());
  return `Usage: ${usage}\n\n${spec.summary}\n\nFlags:\n${lines.join("\n")}\n`;
}
