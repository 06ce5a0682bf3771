/**
 * `mmml config show`: prints the effective config after every layer (defaults, --config files, flags,
 * --set), so a user can see what a run would use before starting it.
 */
import { redactDeep, redactSecrets } from "../../redact.ts";
import { Document, isScalar, visit } from "yaml";
import { closestMatch } from "../../closest_match.ts";
import {
  type CommandSpec,
  CONFIG_FILE_FLAGS,
  configFlagSpecs,
  formatHelp,
  JSON_FLAG,
  parseCommandArgs,
} from "../args.ts";
import type { CliContext } from "../context.ts";
import { loadConfig } from "../../config/load_config.ts";
import { CONFIG_FLAGS, type ConfigFlagName } from "../../config/overrides.ts";
import { MmmlError } from "../../errors.ts";

/** Flags of `mmml config show`: config files, --set, every config-setting flag, and --json. */
export const CONFIG_SHOW_SPEC = {
  name: "config show",
  summary:
    "Print the effective config (defaults < --config files < flags < --set) as YAML, or JSON with --json.",
  flags: {
    ...CONFIG_FILE_FLAGS,
    ...configFlagSpecs(...(Object.keys(CONFIG_FLAGS) as ConfigFlagName[])),
    json: JSON_FLAG,
  },
} as const satisfies CommandSpec;

const SUBCOMMANDS = ["show"] as const;

/** Entry point for `mmml config ...`; `args` starts with the subcommand. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h") {
    ctx.stdout(`Usage: mmml config show [flags]\n\nSubcommands:\n  show  ${CONFIG_SHOW_SPEC.summary}\n`);
    return 0;
  }
  if (sub !== "show") {
    const near = sub === undefined ? undefined : closestMatch(sub, SUBCOMMANDS);
    const got = sub === undefined ? "none" : `"${sub}"${near ? ` (did you mean "${near}"?)` : ""}`;
    throw new MmmlError("usage", `mmml config needs a subcommand: ${SUBCOMMANDS.join("|")}; received ${got}`);
  }
  return await showConfig(rest, ctx);
}

/** `mmml config show [--config F]... [--set k=v]... [--json]`. */
export async function showConfig(args: string[], ctx: CliContext): Promise<number> {
  const { values, help } = parseCommandArgs(args, CONFIG_SHOW_SPEC);
  if (help) {
    ctx.stdout(formatHelp(CONFIG_SHOW_SPEC));
    return 0;
  }
  const { config: loaded, sources } = await loadConfig({
    files: values.config,
    flags: values,
    sets: values.set,
    cwd: ctx.cwd,
    logger: ctx.logger,
  });
  const config = redactDeep(loaded); // a registry URL's password is not printed
  if (values.json) {
    ctx.stdout(JSON.stringify(config, null, 2) + "\n");
  } else {
    ctx.stdout(redactSecrets(`# effective config: ${sources.join(" < ")}\n${toYaml(config)}`));
  }
  return 0;
}

/** YAML with lists of scalars written inline (`hidden: [128, 64]`), as in the files under configs/. */
export function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return doc.toString({ flowCollectionPadding: false });
}
