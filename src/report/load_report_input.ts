/**
 * Reads a registered version's artifacts into a ReportInput: metrics.json is required; config.json,
 * schema.json, roc.json and data_summary.json are used when present (older versions lack the last two).
 * When the training CSV is still where the config says and its sha256 matches the version's data
 * fingerprint, its columns are summarized too; otherwise the report says why they are absent.
 */
import { isAbsolute, join } from "node:path";
import { versionFolder } from "../artifacts/artifact_folder.ts";
import { JSON_ARTIFACTS } from "../artifacts/version_files.ts";
import { readTable } from "../data/table_reader.ts";
import { type DataInfo, summarizeTable } from "../data/data_info.ts";
import { fingerprintFile } from "../data/fingerprint.ts";
import { MmmlError } from "../errors.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import type { ReportInput } from "./report_input.ts";

/** Options of loadReportInput. */
export interface LoadReportOptions {
  /** What a relative data path in config.json is relative to (the training's working directory). */
  cwd?: string;
  /** Stamps the report. */
  now?: Date;
  /** Re-read the training CSV for column statistics (skipped past `maxDataBytes`). */
  readData?: boolean;
  maxDataBytes?: number;
}

/** Loads everything renderReport needs for `version`; a missing or corrupt artifact throws "artifact_corrupt". */
export async function loadReportInput(
  version: ModelVersion,
  { cwd = ".", now = new Date(), readData = true, maxDataBytes = 64 * 1024 * 1024 }: LoadReportOptions = {},
): Promise<ReportInput> {
  const folder = versionFolder(version);
  const metrics = await folder.read("metrics");
  // Shown as it was saved (older versions' configs included), so read unchecked.
  const config = await folder.has(JSON_ARTIFACTS.config.file) ? await folder.readRaw("config") : undefined;
  const notes: string[] = [];
  const dataInfo = readData && version.meta.task === "tabular"
    ? await columnStats(config, version.meta.data_fingerprint, { cwd, maxDataBytes, notes })
    : null;
  return {
    meta: version.meta,
    metrics,
    config,
    schema: await folder.readOptional("schema") ?? null,
    roc: await folder.readOptional("roc") ?? null,
    points: await folder.readOptional("prediction_points") ?? null,
    data: await folder.readOptional("data_summary") ?? null,
    dataInfo,
    notes,
    generatedAt: now.toISOString(),
  };
}

/** The config's data section as far as column statistics need it; anything else means "no stats". */
interface DataSection {
  path?: unknown;
  label?: unknown;
  delimiter?: unknown;
  column_types?: unknown;
  drop_columns?: unknown;
  na_values?: unknown;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

async function columnStats(
  config: unknown,
  fingerprint: string,
  { cwd, maxDataBytes, notes }: { cwd: string; maxDataBytes: number; notes: string[] },
): Promise<DataInfo | null> {
  const data = (config as { data?: DataSection } | undefined)?.data;
  if (typeof data?.path !== "string" || typeof data.label !== "string") return null;
  const path = isAbsolute(data.path) ? data.path : join(cwd, data.path);
  let size: number;
  try {
    size = (await Deno.stat(path)).size;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    notes.push(`Column statistics left out: the training file ${path} is no longer there.`);
    return null;
  }
  if (size > maxDataBytes) {
    notes.push(`Column statistics left out: ${path} is ${size} bytes, over the ${maxDataBytes}-byte limit.`);
    return null;
  }
  if (await fingerprintFile(path) !== fingerprint) {
    notes.push(`Column statistics left out: ${path} has changed since training (its sha256 differs).`);
    return null;
  }
  const delimiter = data.delimiter === "," || data.delimiter === ";" || data.delimiter === "\t"
    ? data.delimiter
    : "auto";
  const overrides = typeof data.column_types === "object" && data.column_types !== null
    ? data.column_types as Record<string, "numeric" | "categorical" | "boolean">
    : {};
  try {
    const dropped = new Set(strings(data.drop_columns));
    const naValues = strings(data.na_values);
    const table = await readTable(path, { delimiter, naValues, reads: (column) => !dropped.has(column) });
    return summarizeTable(table, { label: data.label, overrides });
  } catch (err) {
    if (!(err instanceof MmmlError)) throw err;
    notes.push(`Column statistics left out: ${err.message}`);
    return null;
  }
}
