/**
 * What every route and middleware of the server shares: the injected dependencies and the per-request
 * variables the access log and metrics read after a route ran.
 */
import type { ServingConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { HostReport } from "../host/host_report.ts";
import type { ModelPool } from "./model_pool.ts";
import type { ModelRepository } from "./model_repository.ts";
import type { ServerMetrics } from "./server_metrics.ts";

/** Name and version reported by GET /v2 and GET /health. */
export interface ServerInfo {
  name: string;
  version: string;
}

export interface AppDeps {
  pool: ModelPool;
  logger: Logger;
  config: ServingConfig;
  /** Milliseconds from a monotonic clock; latency and uptime are differences of it. */
  clock: () => number;
  metrics: ServerMetrics;
  info: ServerInfo;
  /** The registry behind the pool; without one the OIP v2 repository extension is not offered. */
  repository?: ModelRepository;
  /** The host facts of `mmml doctor`, shown by GET /health once gathered; absent: not shown. */
  hostReport?: HostReport;
}

/** Hono environment of the app: variables set by middleware and routes for the access log. */
export type ServerEnv = {
  Variables: {
    requestId: string;
    /** `name@version` of the model a request used, once resolved. */
    model?: string;
    /** Rows in the predictor call that answered the request. */
    batchSize?: number;
    /** Raw request body, read once under the size limit. */
    body?: Uint8Array<ArrayBuffer>;
    /** Aborted when the request's deadline passes (request_timeout.ts), so its work can be dropped. */
    signal?: AbortSignal;
  };
};
