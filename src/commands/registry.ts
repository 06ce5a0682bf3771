/**
 * `mmml registry list | show | latest | best | promote | tag` over the folder registry.
 */
import { closestMatch } from "../closest_match.ts";
import { type CommandSpec, formatHelp, JSON_FLAG, parseCommandArgs } from "../cli/args.ts";
import type { CliContext } from "../cli/context.ts";
import { describeValue, MmmlError } from "../errors.ts";
import { parseModelRef } from "../registry/model_ref.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { openRegistry, REGISTRY_FLAG } from "./model_flags.ts";
import type { Registry } from "../registry/registry_types.ts";

/** One entry of `mmml registry list --json`. */
export interface RegistryEntry {
  name: string;
  version: number;
  created: string;
  task: string;
  metrics: Record<string, number>;
  stages: string[];
}

/** The list entry of a version. */
export function registryEntry({ meta }: ModelVersion): RegistryEntry {
  return {
    name: meta.name,
    version: meta.version,
    created: meta.created,
    task: meta.task,
    metrics: meta.metrics ?? {},
    stages: meta.stages ?? [],
  };
}

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
      metric: { type: "string", valueName: "KEY", description: "metric key, e.g. val.macro_f1 (default)" },
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
    summary: "Add a free-form tag to a version (where the registry can store tags).",
    flags: base,
    positionals: ["NAME@VERSION", "TAG"],
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
  const registry = await openRegistry(values.registry as string | undefined, ctx);
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
      return promote(registry, first, values.stage as string | undefined, json, ctx);
    case "tag":
      return tag(registry, first, second, json, ctx);
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
      fixed(m.metrics["val.accuracy"]),
      fixed(m.metrics["val.macro_f1"]),
      m.stages.join(",") || "-",
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  ctx.stdout(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n") + "\n");
  return 0;
}

function fixed(x: number | undefined): string {
  return typeof x !== "number" ? "-" : Number.isInteger(x) ? String(x) : x.toFixed(4);
}

function show(version: ModelVersion, json: boolean, ctx: CliContext): number {
  const { meta } = version;
  if (json) {
    ctx.stdout(JSON.stringify({ ...meta, dir: version.dir }) + "\n");
    return 0;
  }
  const metrics = Object.entries(meta.metrics ?? {}).map(([k, v]) => `    ${k}: ${fixed(v)}`);
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
      `  metrics:`,
      ...metrics,
    ].join("\n") + "\n",
  );
  return 0;
}

function printVersion(version: ModelVersion, json: boolean, ctx: CliContext): number {
  ctx.stdout(
    json ? JSON.stringify(registryEntry(version)) + "\n" : `${version.meta.name}@${version.meta.version}\n`,
  );
  return 0;
}

/** Lower is better for losses; everything else the registry records is higher-is-better. */
function lowerIsBetter(metric: string): boolean {
  return /(^|[._])(log_)?loss$/.test(metric);
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

async function promote(
  registry: Registry,
  ref: string,
  stage: string | undefined,
  json: boolean,
  ctx: CliContext,
): Promise<number> {
  if (stage === undefined) {
    throw new MmmlError(
      "usage",
      `mmml registry promote ${ref} needs --stage STAGE (e.g. --stage production)`,
    );
  }
  const target = await registry.resolve(ref);
  const { name, version } = target.meta;
  // The target gains the stage before the others lose it, so a reader following NAME@STAGE always finds one.
  const promoted = await registry.setStages(name, version, [...target.meta.stages, stage]);
  const demoted: number[] = [];
  for (const other of await registry.list(name)) {
    if (other.meta.version === version || !other.meta.stages.includes(stage)) continue;
    await registry.setStages(name, other.meta.version, other.meta.stages.filter((s) => s !== stage));
    demoted.push(other.meta.version);
  }
  if (json) {
    ctx.stdout(JSON.stringify({ ...registryEntry(promoted), demoted }) + "\n");
  } else {
    const from = demoted.length ? ` (taken from ${demoted.map((v) => `${name}@${v}`).join(", ")})` : "";
    ctx.stdout(`${name}@${version} is now in stage ${stage}${from}\n`);
  }
  return 0;
}

/** A registry that can replace a version's tags (the folder registry gains setTags with issue 5). */
type TaggingRegistry = Registry & {
  setTags?: (name: string, version: number, tags: string[]) => Promise<ModelVersion>;
};

async function tag(registry: TaggingRegistry, ref: string, text: string, json: boolean, ctx: CliContext) {
  if (typeof registry.setTags !== "function") {
    throw new MmmlError(
      "unsupported",
      `mmml registry tag ${ref} ${text}: this registry cannot store tags yet (no setTags; see issue 5); ` +
        `stages work: mmml registry promote NAME@V --stage STAGE`,
    );
  }
  const target = await registry.resolve(ref);
  const { name, version } = target.meta;
  const tagged = await registry.setTags(name, version, [...(target.meta.tags ?? []), text]);
  ctx.stdout(
    json
      ? JSON.stringify({ ...registryEntry(tagged), tags: tagged.meta.tags }) + "\n"
      : `${name}@${version} tags: ${tagged.meta.tags.join(", ")}\n`,
  );
  return 0;
}
