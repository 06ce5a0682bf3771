/**
 * Walks the config schema by dotted path. It reads the JSON Schema that zod derives from MmmlConfig
 * (z.toJSONSchema, a public API) rather than zod internals, so messages and `--set` checks follow
 * src/config/schema.ts without restating any of it.
 */
import { z } from "zod";
import { MmmlConfig } from "./schema.ts";

/** One segment of a config path: an object key or a list index. */
export type PathSegment = string | number;
export type ConfigPath = readonly PathSegment[];

/** The subset of JSON Schema that zod emits for MmmlConfig. */
export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode | boolean;
  prefixItems?: SchemaNode[];
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
}

let cached: SchemaNode | undefined;

/** The JSON Schema of MmmlConfig as written by users (defaults make keys optional). */
export function configJsonSchema(): SchemaNode {
  cached ??= z.toJSONSchema(MmmlConfig, { io: "input", unrepresentable: "any" }) as SchemaNode;
  return cached;
}

/** `training.optimizer.lr`, `model.hidden[0]`: how paths appear in messages. */
export function formatPath(path: ConfigPath): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || "(top level)";
}

/** Reads a value from plain data by path; undefined when any step is missing. */
export function valueAtPath(root: unknown, path: ConfigPath): unknown {
  let node = root;
  for (const seg of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PathSegment, unknown>)[seg];
  }
  return node;
}

/**
 * The alternative of a union that applies to `raw`: for the model's `oneOf`, the option whose `arch`
 * matches raw.arch; otherwise the first option of a fitting JSON type. Returns the node itself when it
 * is not a union.
 */
export function pickOption(node: SchemaNode, raw: unknown): SchemaNode {
  const options = node.oneOf ?? node.anyOf;
  if (!options) return node;
  const arch = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>).arch : undefined;
  const byDiscriminator = options.find((o) => {
    const a = o.properties?.arch;
    return a && (a.const === arch || (a.enum?.includes(arch) ?? false));
  });
  if (byDiscriminator) return byDiscriminator;
  const fits = options.find((o) => jsonTypeMatches(o, raw));
  return fits ?? node;
}

function jsonTypeMatches(node: SchemaNode, raw: unknown): boolean {
  if (raw === undefined) return false;
  if (Array.isArray(raw)) return node.type === "array";
  if (raw !== null && typeof raw === "object") return node.type === "object";
  if (typeof raw === "number") return node.type === "number" || node.type === "integer";
  if (typeof raw === "string") return node.type === "string";
  if (typeof raw === "boolean") return node.type === "boolean";
  return raw === null && node.type === "null";
}

/** What a key lookup found: the child schema, or why there is none. */
export type ChildLookup =
  | { kind: "found"; node: SchemaNode }
  | { kind: "unknown_key"; known: string[] }
  | { kind: "not_a_mapping"; node: SchemaNode };

/** The schema of `key` inside `node` (which describes the raw value `raw`). */
export function childSchema(node: SchemaNode, key: PathSegment, raw: unknown): ChildLookup {
  const n = pickOption(node, raw);
  if (typeof key === "number" || n.type === "array") {
    if (n.type !== "array" || typeof key !== "number") return { kind: "not_a_mapping", node: n };
    const item = n.prefixItems?.[key] ?? n.items;
    return typeof item === "object" ? { kind: "found", node: item } : { kind: "not_a_mapping", node: n };
  }
  if (n.properties && Object.hasOwn(n.properties, key)) return { kind: "found", node: n.properties[key] };
  if (typeof n.additionalProperties === "object") return { kind: "found", node: n.additionalProperties };
  if (n.type === "object") return { kind: "unknown_key", known: Object.keys(n.properties ?? {}) };
  const mapping = (node.anyOf ?? []).find((o) =>
    o.type === "object" && typeof o.additionalProperties === "object"
  );
  if (mapping) return { kind: "found", node: mapping.additionalProperties as SchemaNode };
  return { kind: "not_a_mapping", node: n };
}

/** The schema at `path`, choosing union options from the raw config; undefined past an unknown key. */
export function schemaAtPath(
  path: ConfigPath,
  raw: unknown,
  root = configJsonSchema(),
): SchemaNode | undefined {
  let node = root;
  let value = raw;
  for (const seg of path) {
    const child = childSchema(node, seg, value);
    if (child.kind !== "found") return undefined;
    node = child.node;
    value = valueAtPath(value, [seg]);
  }
  return node;
}

/** Architectures (values of model.arch) whose options accept `key`: for "belongs to mlp" hints. */
export function archesWithModelKey(key: string, root = configJsonSchema()): string[] {
  const options = root.properties?.model?.oneOf ?? [];
  return options.filter((o) => o.properties && Object.hasOwn(o.properties, key))
    .flatMap((o) => {
      const a = o.properties?.arch;
      return a?.enum ? a.enum.map(String) : a?.const !== undefined ? [String(a.const)] : [];
    });
}

/**
 * The values a config path takes when it is a choice (an enum, or the `const`s of a union's options, as
 * model.arch), in schema order; undefined for free values. What `--help` lists beside a flag.
 */
export function choicesAt(path: ConfigPath, root = configJsonSchema()): string[] | undefined {
  const nodesAt = (node: SchemaNode, rest: readonly (string | number)[]): SchemaNode[] => {
    const options = [...(node.oneOf ?? []), ...(node.anyOf ?? [])];
    if (options.length) return options.flatMap((o) => nodesAt(o, rest));
    if (rest.length === 0) return [node];
    const next = node.properties?.[String(rest[0])];
    return next ? nodesAt(next, rest.slice(1)) : [];
  };
  const values = nodesAt(root, path).flatMap((n) => n.enum ?? (n.const !== undefined ? [n.const] : []));
  const choices = [...new Set(values.filter((v): v is string => typeof v === "string"))];
  return choices.length ? choices : undefined;
}
