/**
 * Turns zod v4 issues into compiler-style lines: `training.epochs: expected a positive integer,
 * received "ten"`. The expectation is described from the schema at the issue's path and the received
 * value is read from the raw input, because zod's own messages name neither.
 */
import type { z } from "zod";
import { describeValue } from "../errors.ts";
import { closestMatch } from "../closest_match.ts";
import {
  archesWithModelKey,
  configJsonSchema,
  type ConfigPath,
  formatPath,
  pickOption,
  schemaAtPath,
  type SchemaNode,
  valueAtPath,
} from "./schema_path.ts";

/** One problem, located: `path` is where in the config, `message` what was expected and received. */
export interface ConfigIssue {
  path: ConfigPath;
  message: string;
}

/** Human phrase for what a schema node accepts: "a positive integer", "one of adam|sgd". */
export function describeSchema(node: SchemaNode | undefined, plural = false): string {
  if (!node) return plural ? "values" : "a value";
  const options = node.oneOf ?? node.anyOf;
  if (options) {
    const consts = options.filter((o) => o.const !== undefined).map((o) => showChoice(o.const));
    const rest = options.filter((o) => o.const === undefined).map((o) => describeSchema(o, plural));
    return [...new Set([...(consts.length ? [consts.join(" or ")] : []), ...rest])].join(" or ");
  }
  if (node.const !== undefined) return showChoice(node.const);
  if (node.enum) return `${plural ? "values from" : "one of"} ${node.enum.map(showChoice).join("|")}`;
  switch (node.type) {
    case "integer":
    case "number":
      return describeNumber(node, plural);
    case "boolean":
      return plural ? "booleans (true or false)" : "true or false";
    case "string":
      return (plural ? "strings" : "a string") + (node.pattern ? ` matching /${node.pattern}/` : "");
    case "array":
      return describeArray(node, plural);
    case "object":
      if (typeof node.additionalProperties === "object") {
        return `${plural ? "mappings" : "a mapping"} of names to ${
          describeSchema(node.additionalProperties, true)
        }`;
      }
      return plural ? "mappings" : "a mapping";
    default:
      return plural ? "values" : "a value";
  }
}

function showChoice(v: unknown): string {
  return typeof v === "string" && /^[\w.-]+$/.test(v) ? v : JSON.stringify(v);
}

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

function describeNumber(node: SchemaNode, plural: boolean): string {
  const int = node.type === "integer";
  const noun = int ? (plural ? "integers" : "integer") : (plural ? "numbers" : "number");
  const an = plural ? "" : int ? "an " : "a ";
  const a = plural ? "" : "a ";
  const max = node.maximum !== undefined && node.maximum < UNBOUNDED ? node.maximum : undefined;
  const { minimum: min, exclusiveMinimum: xmin } = node;
  if (xmin === 0 && max === undefined) return `${a}positive ${noun}`;
  if (min === 0 && max === undefined) return `${a}non-negative ${noun}`;
  if (min !== undefined && max !== undefined) return `${an}${noun} from ${min} to ${max}`;
  const bounds = [
    min !== undefined ? `>= ${min}` : xmin !== undefined ? `> ${xmin}` : "",
    max !== undefined ? `<= ${max}` : node.exclusiveMaximum !== undefined ? `< ${node.exclusiveMaximum}` : "",
  ].filter(Boolean);
  return `${an}${noun}${bounds.length ? " " + bounds.join(" and ") : ""}`;
}

function describeArray(node: SchemaNode, plural: boolean): string {
  const head = plural ? "lists" : "a list";
  if (node.prefixItems?.length) {
    const parts = node.prefixItems.map((p) => describeSchema(p, true));
    const same = parts.every((p) => p === parts[0]);
    return same ? `${head} of ${node.prefixItems.length} ${parts[0]}` : `${head} of [${parts.join(", ")}]`;
  }
  const items = typeof node.items === "object" ? describeSchema(node.items, true) : "values";
  const size = node.minItems !== undefined && node.minItems === node.maxItems ? `${node.minItems} ` : "";
  return `${head} of ${size}${items}`;
}

/** `describeValue` with plain objects called mappings, as YAML users know them. */
export function describeReceived(value: unknown): string {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return "a mapping";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return describeValue(value);
}

/**
 * Formats zod issues against the raw input they came from. An unrecognized_keys issue becomes one
 * issue per key, located at that key, so each can be traced to the file that wrote it.
 */
export function formatZodIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  root: SchemaNode = configJsonSchema(),
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((s): s is string | number => typeof s !== "symbol");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({ path: [...path, key], message: unknownKeyMessage(path, key, input, root) });
      }
      continue;
    }
    out.push({ path, message: issueMessage(issue, path, input, root) });
  }
  return out;
}

/** The same, one `path: message` line per issue. */
export function formatZodError(error: z.ZodError, input: unknown, root?: SchemaNode): string {
  return formatZodIssues(error.issues, input, root).map((i) => `${formatPath(i.path)}: ${i.message}`).join(
    "\n",
  );
}

function issueMessage(issue: z.core.$ZodIssue, path: ConfigPath, input: unknown, root: SchemaNode): string {
  const received = valueAtPath(input, path);
  const got = `received ${describeReceived(received)}`;
  const expected = () => describeSchema(schemaAtPath(path, input, root));
  switch (issue.code) {
    case "invalid_type":
      if (received === undefined) return `required, expected ${expected()}`;
      return `expected ${expected()}, ${got}`;
    case "too_small":
    case "too_big":
    case "not_multiple_of":
      return `expected ${expected()}, ${got}`;
    case "invalid_value":
      return `expected ${issue.values.length === 1 ? "" : "one of "}${
        issue.values.map(showChoice).join("|")
      }, ${got}`;
    case "invalid_union": {
      const options = (issue as { options?: unknown[] }).options;
      if (options?.length) return `expected one of ${options.map(showChoice).join("|")}, ${got}`;
      const node = schemaAtPath(path, input, root);
      return `expected ${describeSchema(node && pickOption(node, undefined))}, ${got}`;
    }
    case "invalid_format": {
      const pattern = (issue as { pattern?: string }).pattern;
      const what = pattern ? `a string matching ${pattern}` : `a valid ${issue.format}`;
      const hint = issue.message.startsWith("Invalid") ? "" : ` (${issue.message})`;
      return `expected ${what}${hint}, ${got}`;
    }
    default:
      return `${issue.message}, ${got}`;
  }
}

/**
 * Keys as other tools spell them (Keras, Ludwig, PyTorch Lightning, scikit-learn), by full dotted path,
 * and where mmml keeps the setting: an edit distance cannot find `training.optimizer.lr` from
 * `training.learning_rate`.
 */
export const RENAMED_KEYS: Readonly<Record<string, string>> = Object.freeze({
  "training.learning_rate": "training.optimizer.lr",
  "training.lr": "training.optimizer.lr",
  "training.optimizer.learning_rate": "training.optimizer.lr",
  "training.optimizer.type": "training.optimizer.name",
  "training.num_epochs": "training.epochs",
  "training.max_epochs": "training.epochs",
  "training.n_epochs": "training.epochs",
  "training.patience": "training.early_stopping.patience",
  "training.random_seed": "training.seed",
  "training.lr_scheduler": "training.lr_schedule",
  "training.learning_rate_scheduler": "training.lr_schedule",
  "model.architecture": "model.arch",
  "model.type": "model.arch",
  "model.hidden_layers": "model.hidden",
  "model.hidden_sizes": "model.hidden",
  "model.layers": "model.hidden",
  "data.target": "data.label",
  "data.target_column": "data.label",
  "data.label_column": "data.label",
  "data.file": "data.path",
  "data.csv": "data.path",
  "data.train_path": "data.path",
  "data.validation_split": "data.split.validation",
  "data.test_split": "data.split.test",
  "registry.model_name": "registry.name",
});

/** "unknown key", with a did-you-mean or, under model, the architectures the key belongs to. */
export function unknownKeyMessage(
  parent: ConfigPath,
  key: string,
  input: unknown,
  root: SchemaNode = configJsonSchema(),
): string {
  const renamed = RENAMED_KEYS[[...parent, key].join(".")];
  if (renamed) return `unknown key (did you mean ${renamed}?)`;
  if (parent.length === 1 && parent[0] === "model") {
    const arch = valueAtPath(input, ["model", "arch"]);
    const owners = archesWithModelKey(key, root);
    if (owners.length) {
      return `unknown key for model.arch ${showChoice(arch)} (it applies to ${owners.join("|")})`;
    }
  }
  const node = schemaAtPath(parent, input, root);
  const known = Object.keys(node ? pickOption(node, valueAtPath(input, parent)).properties ?? {} : {});
  const near = closestMatch(key, known);
  return near ? `unknown key (did you mean ${formatPath([...parent, near])}?)` : "unknown key";
}
