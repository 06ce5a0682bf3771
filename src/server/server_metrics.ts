/**
 * The series the server exports on GET /metrics. Model series are read from the pool at scrape time,
 * so a model that loads after start-up shows up without anyone remembering to set a gauge.
 */
import type { ModelPool } from "./model_pool.ts";
import {
  type Counter,
  createMetricsRegistry,
  DEFAULT_SECONDS_BUCKETS,
  type Gauge,
  type Histogram,
  type MetricsRegistry,
} from "./metrics.ts";

/** Batch-size buckets: powers of two up to well past the default maximum batch of 64. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] as const;

export interface ServerMetrics {
  registry: MetricsRegistry;
  httpRequests: Counter<"route" | "method" | "status">;
  httpDuration: Histogram<"route">;
  inFlight: Gauge;
  batchSize: Histogram<"model">;
  /** Served references switched to another version (hot swap), by model name. */
  modelSwaps: Counter<"model">;
  /** Model versions that failed to load after start-up began (a switch that did not happen), by model. */
  modelLoadFailures: Counter<"model">;
}

/** Declares the server's metrics in a fresh registry. */
export function createServerMetrics({ pool }: { pool: ModelPool }): ServerMetrics {
  const registry = createMetricsRegistry();
  const metrics: ServerMetrics = {
    registry,
    httpRequests: registry.counter({
      name: "http_requests_total",
      help: "HTTP requests answered, by route pattern, method and status.",
      labels: ["route", "method", "status"],
    }),
    httpDuration: registry.histogram({
      name: "http_request_duration_seconds",
      help: "Time from request arrival to response, by route pattern.",
      labels: ["route"],
      buckets: DEFAULT_SECONDS_BUCKETS,
    }),
    inFlight: registry.gauge({ name: "http_requests_in_flight", help: "Requests being answered now." }),
    batchSize: registry.histogram({
      name: "mmml_batch_size",
      help: "Rows per predictor call after dynamic batching, by model.",
      labels: ["model"],
      buckets: BATCH_SIZE_BUCKETS,
    }),
    modelSwaps: registry.counter({
      name: "mmml_model_swaps_total",
      help: "Times a served model reference switched to another version without a restart, by model.",
      labels: ["model"],
    }),
    modelLoadFailures: registry.counter({
      name: "mmml_model_load_failures_total",
      help: "Model versions that failed to load (the version served before, if any, kept serving), by model.",
      labels: ["model"],
    }),
  };
  registry.gauge({
    name: "mmml_model_load_seconds",
    help: "Seconds it took to load each model (ONNX session creation included).",
    labels: ["model", "version", "provider"],
    collect: () =>
      pool.list().map((p) => [{ model: p.name, version: p.version, provider: p.provider }, p.loadSeconds]),
  });
  registry.gauge({
    name: "mmml_model_info",
    help:
      "Always 1 for each loaded model; the labels carry its version, execution provider and the references it serves.",
    labels: ["model", "version", "provider", "task", "refs"],
    collect: () =>
      pool.list().map((p) => [
        {
          model: p.name,
          version: p.version,
          provider: p.provider,
          task: p.meta.task,
          refs: pool.refsOf(p).join(","),
        },
        1,
      ]),
  });
  registry.gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    collect: () => [[{}, Deno.memoryUsage().rss]],
  });
  registry.gauge({
    name: "process_heap_used_bytes",
    help: "V8 heap in use, in bytes.",
    collect: () => [[{}, Deno.memoryUsage().heapUsed]],
  });
  return metrics;
}
