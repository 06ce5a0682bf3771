/**
 * Config layers and how they merge: files, CLI flags and `--set dotted.key=value` all become plain
 * objects that deep-merge in order (objects merge, arrays and scalars replace). A layer that changes
 * model.arch starts the model section afresh, because every other model key (hidden sizes, stem, a
 * pretrained weights file, even dropout's default) was chosen for the previous architecture.
 */
import { parse as parseYaml } from "yaml";
import { MmmlError } from "../errors.ts";
import { unknownKeyMessage } from "./format_zod_error.ts";
import {
  childSchema,
  configJsonSchema,
  type ConfigPath,
  formatPath,
  pickOption,
  type SchemaNode,
  valueAtPath,
} from "./schema_path.ts";

/** CLI flags that set a config value, by flag name (without `--`), to a dotted config path. */
export const CONFIG_FLAGS = Object.freeze(
  {
    epochs: "training.epochs",
    "batch-size": "training.batch_size",
    lr: "training.optimizer.lr",
    "lr-schedule": "training.lr_schedule.name",
    seed: "training.seed",
    model: "model.arch",
    data: "data.path",
    label: "data.label",
    "problem-type": "data.problem_type",
    test: "data.test_path",
    registry: "registry.path",
    name: "registry.name",
    backend: "training.backend",
    port: "serving.port",
    host: "serving.host",
    "image-size": "data.image.size",
    pretrained: "model.pretrained",
    threads: "training.threads",
  } as const satisfies Record<string, string>,
);

export type ConfigFlagName = keyof typeof CONFIG_FLAGS;

/** A flag given on the command line that sets one config value. */
export interface ConfigFlag {
  flag: string;
  path: string[];
  value: string | number | boolean;
}

/**
 * Picks the config-setting flags out of parsed flag values, using `map` (flag -> dotted path).
 * Flags that are absent (undefined) or not in the map are skipped, so a command can pass all its values.
 */
export function flagsToConfig(
  values: Record<string, unknown>,
  map: Readonly<Record<string, string>> = CONFIG_FLAGS,
): ConfigFlag[] {
  const out: ConfigFlag[] = [];
  for (const [flag, dotted] of Object.entries(map)) {
    const value = values[flag];
    if (value === undefined) continue;
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      throw new TypeError(`flag --${flag} must be a single string, number or boolean, got ${typeof value}`);
    }
    out.push({ flag, path: dotted.split("."), value });
  }
  return out;
}

/** A parsed `--set dotted.key=value`; the value is still text until the target's schema is known. */
export interface SetOverride {
  text: string;
  path: string[];
  valueText: string;
}

/** Splits `key=value` (the first `=`); a missing `=` or an empty key segment is a usage error. */
export function parseSet(text: string): SetOverride {
  const eq = text.indexOf("=");
  const key = eq < 0 ? "" : text.slice(0, eq).trim();
  const path = key.split(".");
  if (eq < 0 || path.some((s) => s === "")) {
    throw new MmmlError(
      "usage",
      `--set expects dotted.key=value (e.g. training.epochs=5), received ${JSON.stringify(text)}`,
    );
  }
  return { text, path, valueText: text.slice(eq + 1).trim() };
}

/**
 * Checks `path` against the schema, reading union choices (model.arch) from `current`, and returns the
 * target's schema. An unknown segment is an error naming the full key; `context` prefixes messages.
 */
export function schemaForOverride(path: ConfigPath, current: unknown, context: string): SchemaNode {
  let node = configJsonSchema();
  for (let i = 0; i < path.length; i++) {
    const here = path.slice(0, i);
    const child = childSchema(node, path[i], valueAtPath(current, here));
    if (child.kind === "unknown_key") {
      const msg = unknownKeyMessage(here, String(path[i]), current);
      throw new MmmlError("config_invalid", `${context}: ${formatPath(path.slice(0, i + 1))}: ${msg}`);
    }
    if (child.kind === "not_a_mapping") {
      const what = child.node.type === "array"
        ? `a list; set it whole: ${formatPath(here)}=[...]`
        : "not a mapping";
      throw new MmmlError("config_invalid", `${context}: ${formatPath(here)} is ${what}`);
    }
    node = child.node;
  }
  return node;
}

/** True when the schema takes text, so `--name 2024` stays the string "2024". */
export function expectsString(node: SchemaNode): boolean {
  const options = node.oneOf ?? node.anyOf;
  if (options) return options.every(expectsString);
  return node.type === "string";
}

/**
 * Turns flag or `--set` text into a value for `node`: text as is where a string is expected, otherwise
 * a YAML scalar or flow collection (`5`, `1e-3`, `true`, `[64, 32]`, `{name: sgd}`).
 */
export function parseOverrideValue(node: SchemaNode, text: string, context: string): unknown {
  if (expectsString(node)) return text;
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    const why = (err as Error).message.split("\n")[0].replace(/:$/, "");
    throw new MmmlError("config_invalid", `${context}: value is not valid YAML: ${why}`, { cause: err });
  }
  return coerceStrings(node, value);
}

function coerceStrings(node: SchemaNode, value: unknown): unknown {
  const n = pickOption(node, value);
  if (expectsString(n) && (typeof value === "number" || typeof value === "boolean")) return String(value);
  if (Array.isArray(value) && typeof n.items === "object") {
    return value.map((v) => coerceStrings(n.items as SchemaNode, v));
  }
  if (isPlainObject(value) && n.properties) {
    const props = n.properties;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, props[k] ? coerceStrings(props[k], v) : v]),
    );
  }
  return value;
}

/** Builds `{ a: { b: value } }` from ["a", "b"]. */
export function nestValue(path: readonly string[], value: unknown): Record<string, unknown> {
  let out: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) out = { [path[i]]: out };
  return out as Record<string, unknown>;
}

/** True for `{...}` values from YAML or JSON (not arrays, not null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The merged raw config plus, for every path written, the index of the layer that wrote it last. */
export interface MergeState {
  data: Record<string, unknown>;
  writers: Map<string, number>;
}

/** What one merge did that a user may want to hear about. */
export interface MergeNote {
  /** Model keys dropped because the layer switched model.arch. */
  droppedModelKeys: string[];
  fromArch?: unknown;
  toArch?: unknown;
}

/**
 * Deep-merges `layer` into `state` in place, recording `layerIndex` as the writer of each path.
 * `defaultArch` is the architecture in force when no layer has named one yet.
 */
export function mergeLayer(
  state: MergeState,
  layer: Record<string, unknown>,
  layerIndex: number,
  { defaultArch = "mlp" }: { defaultArch?: string } = {},
): MergeNote {
  const note: MergeNote = { droppedModelKeys: [] };
  const prev = state.data.model;
  const next = layer.model;
  if (isPlainObject(next) && next.arch !== undefined) {
    const fromArch = isPlainObject(prev) && prev.arch !== undefined ? prev.arch : defaultArch;
    if (fromArch !== next.arch) {
      note.droppedModelKeys = isPlainObject(prev) ? Object.keys(prev).filter((k) => k !== "arch") : [];
      note.fromArch = fromArch;
      note.toArch = next.arch;
      delete state.data.model;
      for (const key of [...state.writers.keys()]) {
        if (key === "model" || key.startsWith("model.")) state.writers.delete(key);
      }
    }
  }
  mergeInto(state, state.data, layer, [], layerIndex);
  return note;
}

function mergeInto(
  state: MergeState,
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  path: string[],
  layerIndex: number,
): void {
  for (const [key, value] of Object.entries(source)) {
    const here = [...path, key];
    state.writers.set(formatPath(here), layerIndex);
    if (isPlainObject(value)) {
      if (!isPlainObject(target[key])) target[key] = {};
      mergeInto(state, target[key] as Record<string, unknown>, value, here, layerIndex);
    } else {
      // Arrays replace rather than concatenate: `hidden: [32]` over `[128, 64]` means [32].
      target[key] = Array.isArray(value) ? [...value] : value;
    }
  }
}

/** The index of the layer that last wrote `path` or its nearest written ancestor. */
export function writerOf(state: MergeState, path: ConfigPath): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const w = state.writers.get(formatPath(path.slice(0, n)));
    if (w !== undefined) return w;
  }
  return undefined;
}
