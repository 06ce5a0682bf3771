/**
 * `mmml data info FILE [--label COL] [--json]`: rows, columns, inferred types, missing and distinct
 * counts, numeric ranges or top categories, and the class balance, before training on a file.
 */
import { closestMatch } from "../../closest_match.ts";
import { type CommandSpec, formatHelp, JSON_FLAG, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import { readTable } from "../../data/table_reader.ts";
import { formatDataInfo, summarizeTable } from "../../data/data_info.ts";
import { MmmlError } from "../../errors.ts";
import { cwdPath } from "./model_flags.ts";

export const DATA_INFO_SPEC = {
  name: "data info",
  summary: "Summarize a CSV file: rows, column types, missing values, ranges, top values, class balance.",
  flags: {
    label: { type: "string", valueName: "COLUMN", description: "the label column, for class balance" },
    json: JSON_FLAG,
  },
  positionals: ["FILE"],
} as const satisfies CommandSpec;

const SUBCOMMANDS = ["info"] as const;

/** Entry point for `mmml data ...`; `args` starts with the subcommand. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h") {
    ctx.stdout(`Usage: mmml data info [flags] FILE\n\nSubcommands:\n  info  ${DATA_INFO_SPEC.summary}\n`);
    return 0;
  }
  if (sub !== "info") {
    const near = sub === undefined ? undefined : closestMatch(sub, SUBCOMMANDS);
    const got = sub === undefined ? "none" : `"${sub}"${near ? ` (did you mean "${near}"?)` : ""}`;
    throw new MmmlError("usage", `mmml data needs a subcommand: ${SUBCOMMANDS.join("|")}; received ${got}`);
  }
  const { values, positionals, help } = parseCommandArgs(rest, DATA_INFO_SPEC);
  if (help) {
    ctx.stdout(formatHelp(DATA_INFO_SPEC));
    return 0;
  }
  const file = positionals[0];
  const table = await readTable(cwdPath(file, ctx));
  const info = summarizeTable({ ...table, file }, { label: values.label });
  ctx.stdout(values.json ? JSON.stringify(info) + "\n" : formatDataInfo(info));
  return 0;
}
