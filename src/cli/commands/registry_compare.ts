/**
 * `mmml registry compare A B`: two versions side by side (of one model or of two): every val.* and
 * test.* metric with b - a, the timings likewise, the config.json paths that differ, and whether both
 * trained on the same data (equal sha256 fingerprints), so a reader sees what changed and what it bought.
 */
import type { CliContext } from "../context.ts";
import { versionFolder } from "../../artifacts/artifact_folder.ts";
import { JSON_ARTIFACTS } from "../../artifacts/version_files.ts";
import type { ModelMeta, ModelVersion, Registry } from "../../registry/registry_types.ts";
import { type ConfigChange, diffConfigs } from "./registry_config_diff.ts";
import { formatNumber, formatTable } from "./registry_table.ts";

/** One metric or timing of both versions; null where a version lacks it (then delta is null too). */
export interface NumberDelta {
  key: string;
  a: number | null;
  b: number | null;
  /** b - a, rounded to 12 significant digits so 0.95 - 0.91 reads 0.04, not 0.039999999999999925. */
  delta: number | null;
}

/** What `mmml registry compare A B --json` prints. */
export interface Comparison {
  a: { name: string; version: number };
  b: { name: string; version: number };
  /** Every val.* then test.* key either version recorded, each group sorted. */
  metrics: NumberDelta[];
  /** config.json paths that differ (sorted); null when either version has no config.json (see notes). */
  config: ConfigChange[] | null;
  /** Both versions' data fingerprints are equal. */
  same_data: boolean;
  /** Every timings key either version recorded, sorted. */
  timings: NumberDelta[];
  /** The data fingerprints (sha256 of the training data). */
  data: { a: string; b: string };
  /** The sweep trial each version came from (mmml sweep), or null. */
  sweep: { a: ModelMeta["sweep"] | null; b: ModelMeta["sweep"] | null };
  /** Why something was not compared, for a reader. */
  notes: string[];
}

const METRIC_GROUPS = ["val.", "test."] as const;

function label(v: ModelVersion): string {
  return `${v.meta.name}@${v.meta.version}`;
}

function deltas(
  keys: readonly string[],
  a: Record<string, number>,
  b: Record<string, number>,
): NumberDelta[] {
  return keys.map((key) => {
    const x = Number.isFinite(a[key]) ? a[key] : null;
    const y = Number.isFinite(b[key]) ? b[key] : null;
    const delta = x === null || y === null ? null : Number((y - x).toPrecision(12));
    return { key, a: x, b: y, delta };
  });
}

/** The version's config.json, or undefined when it was registered without one. */
async function configOf(version: ModelVersion): Promise<unknown> {
  const folder = versionFolder(version);
  // As it was saved: a diff shows what each run wrote, not what today's defaults would fill in.
  return await folder.has(JSON_ARTIFACTS.config.file) ? await folder.readRaw("config") : undefined;
}

/** Compares version b against version a; reads each one's config.json (a corrupt one throws). */
export async function compareVersions(a: ModelVersion, b: ModelVersion): Promise<Comparison> {
  const [ma, mb] = [a.meta.metrics ?? {}, b.meta.metrics ?? {}];
  const all = [...new Set([...Object.keys(ma), ...Object.keys(mb)])].sort();
  const metricKeys = METRIC_GROUPS.flatMap((prefix) => all.filter((k) => k.startsWith(prefix)));
  const [ta, tb] = [a.meta.timings ?? {}, b.meta.timings ?? {}];
  const timingKeys = [...new Set([...Object.keys(ta), ...Object.keys(tb)])].sort();
  const [ca, cb] = await Promise.all([configOf(a), configOf(b)]);
  const notes = [a, b].filter((_, i) => [ca, cb][i] === undefined)
    .map((v) => `${label(v)} has no config.json (${v.dir}), so configs are not compared`);
  return {
    a: { name: a.meta.name, version: a.meta.version },
    b: { name: b.meta.name, version: b.meta.version },
    metrics: deltas(metricKeys, ma, mb),
    config: notes.length ? null : diffConfigs(ca, cb),
    same_data: a.meta.data_fingerprint === b.meta.data_fingerprint,
    timings: deltas(timingKeys, ta, tb),
    data: { a: a.meta.data_fingerprint, b: b.meta.data_fingerprint },
    sweep: { a: a.meta.sweep ?? null, b: b.meta.sweep ?? null },
    notes,
  };
}

const trialLabel = (s: ModelMeta["sweep"] | null) => s ? `${s.id} trial ${s.trial}` : "(none)";

function signed(x: number | null): string {
  return x === null ? "-" : x > 0 ? `+${formatNumber(x)}` : formatNumber(x);
}

const MAX_VALUE_CHARS = 48;

/** A config value as JSON (so "10" and 10 differ on screen), cut short; "(absent)" where missing. */
function configValue(value: unknown, present: boolean): string {
  if (!present) return "(absent)";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? text.slice(0, MAX_VALUE_CHARS - 3) + "..." : text;
}

/** The comparison as tables a person reads: metrics, timings, config changes, then the data line. */
export function formatComparison(c: Comparison): string {
  const [la, lb] = [`${c.a.name}@${c.a.version}`, `${c.b.name}@${c.b.version}`];
  const numbers = (title: string, rows: NumberDelta[], none: string) =>
    rows.length === 0 ? `${none}\n` : formatTable([
      [title, la, lb, "delta"],
      ...rows.map((r) => [r.key, formatNumber(r.a), formatNumber(r.b), signed(r.delta)]),
    ], { rightAlign: [1, 2, 3] });
  const config = c.config === null
    ? "config: not compared\n"
    : c.config.length === 0
    ? "config: identical\n"
    : formatTable([
      ["config", la, lb],
      ...c.config.map((
        d,
      ) => [d.path, configValue(d.a, d.change !== "added"), configValue(d.b, d.change !== "removed")]),
    ]);
  const short = (fp: string) => fp.length > 12 ? fp.slice(0, 12) + "..." : fp || "(none)";
  const data = c.same_data
    ? `data: same (sha256 ${short(c.data.a)})`
    : `data: differs (sha256 ${short(c.data.a)} vs ${short(c.data.b)})`;
  return [
    `${la} (a) vs ${lb} (b)\n`,
    numbers("metric", c.metrics, "metrics: neither version recorded val.* or test.* metrics"),
    numbers("timing", c.timings, "timings: none recorded"),
    config,
    data + "\n",
    ...(c.sweep.a || c.sweep.b ? [`sweep: ${trialLabel(c.sweep.a)} vs ${trialLabel(c.sweep.b)}\n`] : []),
    ...c.notes.map((n) => `note: ${n}\n`),
  ].join("\n");
}

/** Resolves refs `a` and `b` (any form: NAME, NAME@3, NAME@best, NAME@production) and prints the comparison. */
export async function compareCommand(
  registry: Registry,
  refs: readonly [string, string],
  { json = false, stdout }: { json?: boolean; stdout: CliContext["stdout"] },
): Promise<number> {
  const [a, b] = await Promise.all(refs.map((ref) => registry.resolve(ref)));
  const comparison = await compareVersions(a, b);
  stdout(json ? JSON.stringify(comparison) + "\n" : formatComparison(comparison));
  return 0;
}
