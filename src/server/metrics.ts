/**
 * A small Prometheus registry written by hand: counters, gauges and histograms with labels, rendered in
 * the text exposition format 0.0.4. No client library: the server needs a dozen series, and owning the
 * format keeps label escaping and bucket semantics in one readable place.
 */

/** The content type Prometheus expects for the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Latency buckets in seconds, from sub-millisecond cache hits to requests that hit the timeout. */
export const DEFAULT_SECONDS_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
] as const;

export type Labels = Record<string, string | number>;

interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labels?: readonly L[];
}

/** A value that only goes up (requests served). */
export interface Counter<L extends string = string> {
  inc(labels?: Partial<Record<L, string | number>>, by?: number): void;
  get(labels?: Partial<Record<L, string | number>>): number;
}

/** A value that goes up and down (requests in flight), or one read at scrape time through `collect`. */
export interface Gauge<L extends string = string> {
  set(labels: Partial<Record<L, string | number>>, value: number): void;
  inc(labels?: Partial<Record<L, string | number>>, by?: number): void;
  dec(labels?: Partial<Record<L, string | number>>, by?: number): void;
  get(labels?: Partial<Record<L, string | number>>): number;
}

/** Observations counted into cumulative buckets, with their sum and count. */
export interface Histogram<L extends string = string> {
  observe(labels: Partial<Record<L, string | number>>, value: number): void;
  /** Count and sum for one label set (for tests and the access log). */
  get(labels?: Partial<Record<L, string | number>>): { count: number; sum: number; buckets: number[] };
}

export interface MetricsRegistry {
  counter<L extends string>(options: MetricOptions<L>): Counter<L>;
  gauge<L extends string>(
    options: MetricOptions<L> & { collect?: () => Iterable<[Partial<Record<L, string | number>>, number]> },
  ): Gauge<L>;
  histogram<L extends string>(options: MetricOptions<L> & { buckets?: readonly number[] }): Histogram<L>;
  /** The whole registry in the text exposition format, one block per metric, ending in a newline. */
  render(): string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes a label value as the text format requires: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Formats a sample value: Prometheus spells the infinities and NaN its own way. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i])}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** Creates an empty registry. Metric and label names are checked when a metric is declared. */
export function createMetricsRegistry(): MetricsRegistry {
  const blocks: { name: string; render: () => string[] }[] = [];

  const declare = (name: string, labels: readonly string[], type: string, help: string) => {
    if (!METRIC_NAME.test(name)) throw new Error(`Invalid metric name ${JSON.stringify(name)}`);
    if (blocks.some((b) => b.name === name)) throw new Error(`Metric ${name} is declared twice`);
    for (const l of labels) {
      if (!LABEL_NAME.test(l) || l.startsWith("__") || l === "le") {
        throw new Error(`Invalid label name ${JSON.stringify(l)} on metric ${name}`);
      }
    }
    return [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`];
  };

  /** Label values in declared order; the key joins them with a separator no label text can hold unescaped. */
  const keyOf = (names: readonly string[], labels: Labels = {}) => {
    const values = names.map((n) => String(labels[n] ?? ""));
    return { values, key: JSON.stringify(values) };
  };

  const scalar = (name: string, help: string, labels: readonly string[], type: "counter" | "gauge") => {
    const header = declare(name, labels, type, help);
    const series = new Map<string, { values: string[]; value: number }>();
    const add = (l: Labels | undefined, by: number) => {
      const { values, key } = keyOf(labels, l);
      const s = series.get(key);
      if (s) s.value += by;
      else series.set(key, { values, value: by });
    };
    const get = (l?: Labels) => series.get(keyOf(labels, l).key)?.value ?? 0;
    const set = (l: Labels, value: number) => {
      const { values, key } = keyOf(labels, l);
      series.set(key, { values, value });
    };
    return { header, series, add, get, set };
  };

  return {
    counter({ name, help, labels = [] }) {
      const m = scalar(name, help, labels, "counter");
      blocks.push({
        name,
        render: () => [
          ...m.header,
          ...[...m.series.values()].map((s) =>
            `${name}${labelText(labels, s.values)} ${formatValue(s.value)}`
          ),
        ],
      });
      return {
        inc: (l, by = 1) => {
          if (!(by >= 0)) throw new Error(`Counter ${name} can only go up; received ${by}`);
          m.add(l as Labels, by);
        },
        get: (l) => m.get(l as Labels),
      };
    },

    gauge({ name, help, labels = [], collect }) {
      const m = scalar(name, help, labels, "gauge");
      blocks.push({
        name,
        render: () => {
          if (collect) {
            m.series.clear();
            for (const [l, v] of collect()) m.set(l as Labels, v);
          }
          return [
            ...m.header,
            ...[...m.series.values()].map((s) =>
              `${name}${labelText(labels, s.values)} ${formatValue(s.value)}`
            ),
          ];
        },
      });
      return {
        set: (l, v) => m.set(l as Labels, v),
        inc: (l, by = 1) => m.add(l as Labels, by),
        dec: (l, by = 1) => m.add(l as Labels, -by),
        get: (l) => m.get(l as Labels),
      };
    },

    histogram({ name, help, labels = [], buckets = DEFAULT_SECONDS_BUCKETS }) {
      const header = declare(name, labels, "histogram", help);
      const bounds = [...buckets].sort((a, b) => a - b);
      if (bounds.some((b, i) => i > 0 && b === bounds[i - 1])) {
        throw new Error(`Histogram ${name} repeats a bucket`);
      }
      const series = new Map<string, { values: string[]; counts: number[]; sum: number; count: number }>();
      blocks.push({
        name,
        render: () => {
          const lines = [...header];
          for (const s of series.values()) {
            // Buckets are cumulative in the exposition format; counts are stored per bucket.
            let cumulative = 0;
            bounds.forEach((b, i) => {
              cumulative += s.counts[i];
              lines.push(
                `${name}_bucket${labelText(labels, s.values, `le="${formatValue(b)}"`)} ${cumulative}`,
              );
            });
            lines.push(`${name}_bucket${labelText(labels, s.values, 'le="+Inf"')} ${s.count}`);
            lines.push(`${name}_sum${labelText(labels, s.values)} ${formatValue(s.sum)}`);
            lines.push(`${name}_count${labelText(labels, s.values)} ${s.count}`);
          }
          return lines;
        },
      });
      return {
        observe: (l, value) => {
          const { values, key } = keyOf(labels, l as Labels);
          let s = series.get(key);
          if (!s) series.set(key, s = { values, counts: bounds.map(() => 0), sum: 0, count: 0 });
          const i = bounds.findIndex((b) => value <= b);
          if (i >= 0) s.counts[i]++;
          s.sum += value;
          s.count++;
        },
        get: (l) => {
          const s = series.get(keyOf(labels, l as Labels).key);
          return { count: s?.count ?? 0, sum: s?.sum ?? 0, buckets: s ? [...s.counts] : bounds.map(() => 0) };
        },
      };
    },

    render: () => blocks.map((b) => b.render().join("\n")).join("\n") + "\n",
  };
}
