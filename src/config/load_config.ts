/**
 * The effective config of a run, from four layers merged in order: defaults in code < config files
 * (each `--config`, in order) < CLI flags < `--set dotted.key=value`. Every problem is reported against
 * the layer that wrote the bad value, one line each, like a compiler.
 */
import { FILE_LIMITS, readTextBounded } from "../bounded_read.ts";
import { resolve } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { describeValue, MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { formatZodIssues } from "./format_zod_error.ts";
import {
  type ConfigFlag,
  expectsString,
  flagsToConfig,
  isPlainObject,
  mergeLayer,
  type MergeState,
  nestValue,
  parseOverrideValue,
  parseSet,
  schemaForOverride,
  writerOf,
} from "./overrides.ts";
import { type ConfigPath, formatPath } from "./schema_path.ts";
import { MmmlConfig } from "./schema.ts";

/** One source of settings, lowest precedence first. */
interface Layer {
  /** How the user wrote it: the file name as given, `--epochs=5`, `--set training.lr=0.01`. */
  source: string;
  /** Message prefix for problems found in this layer. */
  prefix: string;
  data: Record<string, unknown>;
  lineOf?: (path: ConfigPath) => number | undefined;
}

/** A parsed config file: its data and where each path was written. */
export interface ConfigFile {
  data: Record<string, unknown>;
  lineOf: (path: ConfigPath) => number | undefined;
}

export interface LoadConfigOptions {
  /** Config files (YAML or JSON), merged in order; relative names resolve against `cwd`. */
  files?: readonly string[];
  /**
   * Config-setting flags: `flagsToConfig(values, map)`, or a command's parsed values as a record, which
   * are mapped with CONFIG_FLAGS. A command whose flag means something else (`evaluate --model NAME`
   * names a registered model, not model.arch) must pass `flagsToConfig` with its own map.
   */
  flags?: readonly ConfigFlag[] | Record<string, unknown>;
  /** `dotted.key=value` texts from `--set`, applied in order. */
  sets?: readonly string[];
  /**
   * Settings merged before the files: what an earlier loadConfig returned as `data` (a sweep's base,
   * stored by one process and loaded by another). `source` names it in messages.
   */
  base?: { source: string; data: Record<string, unknown> };
  /** Typed settings applied last, checked like `--set` (a sweep trial's parameters). */
  values?: readonly { key: string; value: unknown; source: string }[];
  cwd?: string;
  logger?: Logger;
  readTextFile?: (path: string) => Promise<string>;
}

/** The validated config and the layers it came from, in precedence order. */
export interface LoadedConfig {
  config: MmmlConfig;
  sources: string[];
  /**
   * Every dotted key a file, flag or --set wrote (parents of written keys included): what the user chose,
   * as against what the schema's defaults filled in. Task defaults apply only to the rest.
   */
  explicit: ReadonlySet<string>;
  /** What the files, flags and settings wrote, merged, before defaults: a `base` for another load. */
  data: Record<string, unknown>;
}

const DEFAULT_ARCH = MmmlConfig.parse({}).model.arch;

/** Loads, merges and validates the effective config; throws MmmlError(config_invalid | file_not_found). */
export async function loadConfig(
  { files = [], flags = [], sets = [], base, values = [], cwd = ".", logger, readTextFile = readConfigText }:
    LoadConfigOptions = {},
): Promise<LoadedConfig> {
  const state: MergeState = { data: {}, writers: new Map() };
  const layers: Layer[] = [{ source: "defaults", prefix: "Invalid config", data: {} }];
  const apply = (layer: Layer) => {
    layers.push(layer);
    const note = mergeLayer(state, layer.data, layers.length - 1, { defaultArch: DEFAULT_ARCH });
    if (note.droppedModelKeys.length) {
      const dropped = note.droppedModelKeys.map((k) => `model.${k}`).join(", ");
      logger?.debug(
        `${layer.source} switches model.arch from ${note.fromArch} to ${note.toArch}; dropped ${dropped}`,
      );
    }
  };

  if (base) {
    apply({ source: base.source, prefix: `Invalid ${base.source}`, data: structuredClone(base.data) });
  }
  for (const file of files) {
    const parsed = await loadConfigFile(file, { cwd, readTextFile });
    apply({ source: file, prefix: `Cannot load config ${JSON.stringify(file)}`, ...parsed });
  }
  for (const f of Array.isArray(flags) ? flags : flagsToConfig(flags as Record<string, unknown>)) {
    const context = `Invalid flag --${f.flag}`;
    const node = schemaForOverride(f.path, withArch(state.data), context);
    const value = typeof f.value === "string"
      ? parseOverrideValue(node, f.value, context)
      : expectsString(node)
      ? String(f.value)
      : f.value;
    apply({ source: `--${f.flag}=${f.value}`, prefix: context, data: nestValue(f.path, value) });
  }
  for (const text of sets) {
    const set = parseSet(text);
    const context = `Invalid --set ${text}`;
    const node = schemaForOverride(set.path, withArch(state.data), context);
    const value = parseOverrideValue(node, set.valueText, context);
    apply({ source: `--set ${text}`, prefix: context, data: nestValue(set.path, value) });
  }

  for (const { key, value, source } of values) {
    const path = key.split(".");
    const context = `Invalid ${source}`;
    schemaForOverride(path, withArch(state.data), context);
    apply({ source, prefix: context, data: nestValue(path, structuredClone(value)) });
  }

  // A model section without an arch inherits the default one, as if defaults were merged underneath.
  if (isPlainObject(state.data.model) && state.data.model.arch === undefined) {
    state.data.model.arch = DEFAULT_ARCH;
  }

  const data = structuredClone(state.data);
  const result = MmmlConfig.safeParse(state.data);
  if (!result.success) throw configError(formatZodIssues(result.error.issues, state.data), state, layers);
  return {
    config: result.data,
    sources: layers.map((l) => l.source),
    explicit: new Set(state.writers.keys()),
    data,
  };
}

/** The merged data with model.arch filled in, so overrides are checked against the arch in force. */
function withArch(data: Record<string, unknown>): Record<string, unknown> {
  const model = isPlainObject(data.model) ? data.model : {};
  return { ...data, model: { ...model, arch: model.arch ?? DEFAULT_ARCH } };
}

function configError(
  issues: { path: ConfigPath; message: string }[],
  state: MergeState,
  layers: Layer[],
): MmmlError {
  const located = issues.map((issue) => {
    const layer = layers[writerOf(state, issue.path) ?? 0];
    const line = layer.lineOf?.(issue.path);
    const text = `${layer.prefix}: ${formatPath(issue.path)}: ${issue.message}${
      line ? ` (line ${line})` : ""
    }`;
    return {
      text,
      layer: layers.indexOf(layer),
      source: layer.source,
      path: formatPath(issue.path),
      line,
      message: issue.message,
    };
  });
  // Compiler order: by layer, then by line within a file.
  located.sort((a, b) => a.layer - b.layer || (a.line ?? Infinity) - (b.line ?? Infinity));
  return new MmmlError("config_invalid", located.map((l) => l.text).join("\n"), {
    details: { issues: located.map(({ text: _t, layer: _l, ...rest }) => rest) },
  });
}

/** A config file's text: a regular file of at most 1 MiB (bounded_read.ts). */
const readConfigText = (path: string) =>
  readTextBounded(path, { what: "config", maxBytes: FILE_LIMITS.config });

/**
 * Reads one config file: JSON when it ends in .json, YAML otherwise. An empty file is an empty layer.
 * A missing file is file_not_found; a syntax error is config_invalid naming the line and column.
 */
export async function loadConfigFile(
  file: string,
  { cwd = ".", readTextFile = readConfigText }: {
    cwd?: string;
    readTextFile?: (path: string) => Promise<string>;
  } = {},
): Promise<ConfigFile> {
  const where = `Cannot load config ${JSON.stringify(file)}`;
  const full = resolve(cwd, file);
  let text: string;
  try {
    text = await readTextFile(full);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `${where}: file not found (looked for ${full})`, { cause: err });
    }
    if (err instanceof MmmlError) throw err;
    throw new MmmlError("config_invalid", `${where}: ${(err as Error).message}`, { cause: err });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ""), { lineCounter: lines, prettyErrors: false });
  let data: unknown;
  if (file.toLowerCase().endsWith(".json")) {
    try {
      data = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (err) {
      const pos = doc.errors[0] ? lines.linePos(doc.errors[0].pos[0]) : undefined;
      const at = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
      // V8 quotes the start of the text ('..., "root:x:0:0"... is not valid JSON'): not echoed.
      const why = (err as Error).message.replace(/,? "[\s\S]*"(\.\.\.)? is not valid JSON$/, "");
      throw new MmmlError("config_invalid", `${where}: invalid JSON${at}: ${why}`, {
        cause: err,
        details: { file, line: pos?.line, column: pos?.col },
      });
    }
  } else {
    const syntax = doc.errors[0];
    if (syntax) {
      const pos = lines.linePos(syntax.pos[0]);
      const why = syntax.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      throw new MmmlError(
        "config_invalid",
        `${where}: invalid YAML at line ${pos.line}, column ${pos.col}: ${why}`,
        {
          details: { file, line: pos.line, column: pos.col },
        },
      );
    }
    data = doc.toJS();
  }
  if (data === null || data === undefined) data = {};
  if (!isPlainObject(data)) {
    throw new MmmlError(
      "config_invalid",
      `${where}: expected a mapping of sections (data, preprocessing, model, training, registry, serving) ` +
        `at the top level, received ${
          // The file's own text is not echoed: a mistaken path (--config /etc/passwd) must not print it.
          Array.isArray(data)
            ? `a list of ${data.length}`
            : typeof data === "string"
            ? "plain text"
            : describeValue(data)}`,
    );
  }
  return { data, lineOf: (path) => yamlLine(doc.contents, path, lines) };
}

/** The line of the deepest part of `path` that the document holds (a key's line for map entries). */
function yamlLine(root: Node | null, path: ConfigPath, lines: LineCounter): number | undefined {
  let node: unknown = root;
  let line: number | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const at = (isScalar(pair.key) && pair.key.range) ? pair.key.range[0] : undefined;
      if (at !== undefined) line = lines.linePos(at).line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as Node | undefined;
      if (!item?.range) break;
      line = lines.linePos(item.range[0]).line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}
