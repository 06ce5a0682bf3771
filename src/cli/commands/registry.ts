/**
 * `mmml registry list | show | latest | best | promote | tag | compare | delete | export | clean | rebuild`:
 * the dispatcher, and the read-only subcommands (the others have a file each). Registries open through
 * openRegistry, except for clean and rebuild, which work on the folder (registry_maintenance.ts).
 */
import { closestMatch } from "../../closest_match.ts";
import { type CommandSpec, formatHelp, JSON_FLAG, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import { describeValue, MmmlError } from "../../errors.ts";
import { parseModelRef } from "../../registry/model_ref.ts";
import type { ModelVersion, Registry } from "../../registry/registry_types.ts";
import { openRegistry, REGISTRY_FLAG } from "./model_flags.ts";
import { compareCommand } from "./registry_compare.ts";
import { deleteCommand } from "./registry_delete.ts";
import { registryEntry } from "./registry_entry.ts";
import { exportCommand } from "./registry_export.ts";
import { cleanCommand, rebuildCommand } from "./registry_maintenance.ts";
import { promoteVersion, tagVersion } from "./registry_labels.ts";
import { formatNumber, formatTable } from "./registry_table.ts";

const base = { registry: REGISTRY_FLAG, json: JSON_FLAG };

/** Every subcommand of `mmml registry`, with its flags and positionals. */
export const REGISTRY_SPECS = {
  list: {
    name: "registry list",
    summary: "List every version (of NAME, if given): name, version, created, task, metrics, stages.",
    flags: base,
    positionals: ["[NAME]"],
  },
  show: {
    name: "registry show",
    summary: "Show one version's metadata (NAME, NAME@3, NAME@best, NAME@production, ...).",
    flags: base,
    positionals: ["NAME[@VERSION]"],
  },
  latest: {
    name: "registry latest",
    summary: "Print the newest version of NAME.",
    flags: base,
    positionals: ["NAME"],
  },
  best: {
    name: "registry best",
    summary: "Print the version of NAME with the best value of a metric (losses: lowest; others: highest).",
    flags: {
      ...base,
      metric: {
        type: "string",
        valueName: "KEY",
        description: "metric key, e.g. val.r2 (default: val.macro_f1 for classes, val.rmse for a regression)",
      },
    },
    positionals: ["NAME"],
  },
  promote: {
    name: "registry promote",
    summary: "Put a version in a stage (e.g. production), taking the stage from any other version of NAME.",
    flags: {
      ...base,
      stage: { type: "string", valueName: "STAGE", description: "the stage, e.g. production (required)" },
    },
    positionals: ["NAME@VERSION"],
  },
  tag: {
    name: "registry tag",
    summary: "Add a free-form tag to a version.",
    flags: base,
    positionals: ["NAME@VERSION", "TAG"],
  },
  compare: {
    name: "registry compare",
    summary: "Compare two versions (of one model or two): metrics with deltas, timings, config diff, data.",
    flags: base,
    positionals: ["A", "B"],
  },
  delete: {
    name: "registry delete",
    summary: "Delete a version for good (needs --yes; a version in a stage also --force).",
    flags: {
      ...base,
      yes: { type: "boolean", description: "confirm the deletion (required)" },
      force: { type: "boolean", description: "delete even a version that is in a stage" },
    },
    positionals: ["NAME@VERSION"],
  },
  export: {
    name: "registry export",
    summary: "Print every version's full metadata (of NAME, if given) as one JSON object (needs --json).",
    flags: base,
    positionals: ["[NAME]"],
  },
  clean: {
    name: "registry clean",
    summary:
      "List folders left by killed processes (dead runs' work folders, stale staging); --yes removes them.",
    flags: { ...base, yes: { type: "boolean", description: "remove what is listed" } },
    positionals: [],
  },
  rebuild: {
    name: "registry rebuild",
    summary:
      "Rebuild a corrupt or lost registry.db from the version folders' meta.json (the old file is kept).",
    flags: base,
    positionals: [],
  },
} as const satisfies Record<string, CommandSpec>;

type Sub = keyof typeof REGISTRY_SPECS;
const SUBCOMMANDS = Object.keys(REGISTRY_SPECS) as Sub[];

/** Entry point for `mmml registry ...`; `args` starts with the subcommand. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h") {
    const rows = SUBCOMMANDS.map((s) => `  ${s.padEnd(8)}  ${REGISTRY_SPECS[s].summary}`);
    ctx.stdout(`Usage: mmml registry <subcommand> [flags]\n\nSubcommands:\n${rows.join("\n")}\n`);
    return 0;
  }
  if (sub === undefined || !Object.hasOwn(REGISTRY_SPECS, sub)) {
    const near = sub === undefined ? undefined : closestMatch(sub, SUBCOMMANDS);
    const got = sub === undefined ? "none" : `"${sub}"${near ? ` (did you mean "${near}"?)` : ""}`;
    throw new MmmlError(
      "usage",
      `mmml registry needs a subcommand: ${SUBCOMMANDS.join("|")}; received ${got}`,
    );
  }
  const spec: CommandSpec = REGISTRY_SPECS[sub as Sub];
  const parsed = parseCommandArgs(rest, spec);
  if (parsed.help) {
    ctx.stdout(formatHelp(spec));
    return 0;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const location = values.registry as string | undefined;
  if (sub === "rebuild") return await rebuildCommand(location, { json: values.json === true, ctx });
  if (sub === "clean") {
    return await cleanCommand(location, { yes: values.yes === true, json: values.json === true, ctx });
  }
  const registry = await openRegistry(location, ctx);
  try {
    return await dispatch(registry, sub as Sub, values, parsed.positionals, ctx);
  } finally {
    await registry.close();
  }
}

async function dispatch(
  registry: Registry,
  sub: Sub,
  values: Record<string, string | boolean | undefined>,
  positionals: string[],
  ctx: CliContext,
): Promise<number> {
  const json = values.json === true;
  const stdout = ctx.stdout;
  const [first, second] = positionals;
  switch (sub) {
    case "list":
      return list(registry, first, json, ctx);
    case "show":
      return show(await registry.resolve(first), json, ctx);
    case "latest":
      return printVersion(await registry.resolve(`${plainName(first, "latest")}@latest`), json, ctx);
    case "best":
      return printVersion(await best(registry, plainName(first, "best"), values.metric as string), json, ctx);
    case "promote":
      return promoteVersion(registry, first, { stage: values.stage as string | undefined, json, stdout });
    case "tag":
      return tagVersion(registry, first, { text: second, json, stdout });
    case "compare":
      return compareCommand(registry, [first, second], { json, stdout });
    case "delete":
      return deleteCommand(registry, first, {
        yes: values.yes === true,
        force: values.force === true,
        json,
        stdout,
      });
    case "export":
      return exportCommand(registry, first === undefined ? undefined : plainName(first, "export"), {
        json,
        stdout,
      });
    case "clean":
    case "rebuild":
      throw new Error(`registry ${sub} runs before the registry is opened`);
  }
}

function plainName(ref: string, sub: string): string {
  const parsed = parseModelRef(ref);
  if (parsed.text !== parsed.name) {
    throw new MmmlError("usage", `mmml registry ${sub} takes a model name, received ${describeValue(ref)}`);
  }
  return parsed.name;
}

async function list(registry: Registry, name: string | undefined, json: boolean, ctx: CliContext) {
  const versions = await registry.list(name);
  const models = versions.map(registryEntry);
  if (json) {
    ctx.stdout(JSON.stringify({ models }) + "\n");
    return 0;
  }
  if (models.length === 0) {
    ctx.stdout(`no models in ${registry.location}${name ? ` named ${name}` : ""}\n`);
    return 0;
  }
  const rows = [
    ["model", "created", "task", "val.accuracy", "val.macro_f1", "stages"],
    ...models.map((m) => [
      `${m.name}@${m.version}`,
      m.created.replace(/\.\d+Z$/, "Z"),
      m.task,
      formatNumber(m.metrics["val.accuracy"]),
      formatNumber(m.metrics["val.macro_f1"]),
      m.stages.join(",") || "-",
    ]),
  ];
  ctx.stdout(formatTable(rows));
  return 0;
}

function show(version: ModelVersion, json: boolean, ctx: CliContext): number {
  const { meta } = version;
  if (json) {
    ctx.stdout(JSON.stringify({ ...meta, dir: version.dir }) + "\n");
    return 0;
  }
  const metrics = Object.entries(meta.metrics ?? {}).map(([k, v]) => `    ${k}: ${formatNumber(v)}`);
  ctx.stdout(
    [
      `${meta.name}@${meta.version}`,
      `  folder:   ${version.dir}`,
      `  created:  ${meta.created}`,
      `  task:     ${meta.task} (${meta.arch}, backend ${meta.backend})`,
      `  classes:  ${meta.classes.join(", ")}`,
      `  stages:   ${meta.stages.join(", ") || "-"}`,
      `  tags:     ${meta.tags?.join(", ") || "-"}`,
      `  data:     sha256 ${meta.data_fingerprint}`,
      ...(meta.sweep
        ? [`  sweep:    ${meta.sweep.id} trial ${meta.sweep.trial}: ${sweepParams(meta.sweep.params)}`]
        : []),
      `  metrics:`,
      ...metrics,
    ].join("\n") + "\n",
  );
  return 0;
}

/** A trial's settings on one line: `training.optimizer.lr=0.01 model.hidden=[64]`. */
export function sweepParams(params: Record<string, unknown>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
}

function printVersion(version: ModelVersion, json: boolean, ctx: CliContext): number {
  ctx.stdout(
    json ? JSON.stringify(registryEntry(version)) + "\n" : `${version.meta.name}@${version.meta.version}\n`,
  );
  return 0;
}

/** Losses and errors (log_loss, rmse, mae, mape) are better lower; everything else higher. */
function lowerIsBetter(metric: string): boolean {
  return /(^|[._])((log_)?loss|rmse|mae|mape|mse)$/.test(metric);
}

/** The version with the best `metric`; ties go to the newest. Without a metric, the registry's @best. */
async function best(registry: Registry, name: string, metric: string | undefined): Promise<ModelVersion> {
  if (metric === undefined) return await registry.resolve(`${name}@best`);
  const versions = await registry.list(name);
  if (versions.length === 0) return await registry.resolve(name); // throws model_not_found naming what exists
  const scored = versions.filter((v) => Number.isFinite(v.meta.metrics?.[metric]));
  if (scored.length === 0) {
    const keys = [...new Set(versions.flatMap((v) => Object.keys(v.meta.metrics ?? {})))].sort();
    const near = closestMatch(metric, keys);
    throw new MmmlError(
      "invalid_input",
      `--metric ${metric}: no version of ${name} has it${near ? ` (did you mean ${near}?)` : ""}; ` +
        `recorded metrics are ${keys.join(", ") || "none"}`,
    );
  }
  const sign = lowerIsBetter(metric) ? -1 : 1;
  return scored.reduce((a, b) => {
    const [sa, sb] = [sign * a.meta.metrics[metric], sign * b.meta.metrics[metric]];
    return sb > sa || (sb === sa && b.meta.version > a.meta.version) ? b : a;
  });
}
