/**
 * The one place the server turns a thrown error into an HTTP status and body. Routes throw `MmmlError`;
 * they never build error bodies. The Open Inference Protocol wants `{"error": "..."}`, the rest of the
 * API `{"error": {"code", "message"}}`; the status comes from `ERROR_CODES` either way.
 */
import { asDiskFull } from "../disk_space.ts";
import { ERROR_CODES, type ErrorCode, MmmlError } from "../errors.ts";
import { redactSecrets } from "../redact.ts";

/** An HTTP-level miss (no such route, wrong method): not a domain failure, so not an `MmmlError`. */
export class RouteError extends Error {
  readonly status: 404 | 405;
  constructor(status: 404 | 405, message: string) {
    super(message);
    this.name = "RouteError";
    this.status = status;
  }
}

/** Which error body shape a route speaks. */
export type ErrorProtocol = "mmml" | "v2";

export interface ErrorResponse {
  status: number;
  body: { error: string } | { error: { code: string; message: string } };
  /** The error code reported (`internal` for anything unexpected). */
  code: ErrorCode | "not_found" | "method_not_allowed";
  /** True when the error is a server fault that must be logged with its stack. */
  internal: boolean;
  /** Response headers the error calls for (Retry-After on 503 overloaded). */
  headers: Record<string, string>;
}

const ROUTE_CODES = { 404: "not_found", 405: "method_not_allowed" } as const satisfies Record<
  RouteError["status"],
  string
>;

/** Maps any thrown value to the status and body the client gets. Unknown errors become a bare 500. */
export function toErrorResponse(thrown: unknown, protocol: ErrorProtocol): ErrorResponse {
  const err = asDiskFull(thrown);
  let status: number;
  let code: ErrorResponse["code"];
  let message: string;
  if (err instanceof MmmlError) {
    status = ERROR_CODES[err.code].http;
    code = err.code;
    message = err.message;
  } else if (err instanceof RouteError) {
    status = err.status;
    code = ROUTE_CODES[err.status];
    message = err.message;
  } else {
    status = 500;
    code = "internal";
    // The details of an unexpected failure go to the log, not to the client.
    message = "Internal server error; the failure was logged";
  }
  const internal = status >= 500 && code !== "timeout" && code !== "not_ready" &&
    code !== "backend_unavailable" && code !== "overloaded" && code !== "disk_full";
  const headers: Record<string, string> = {};
  const retry = err instanceof MmmlError ? err.details?.retry_after_s : undefined;
  if (typeof retry === "number") headers["retry-after"] = String(retry);
  message = redactSecrets(message);
  const body = protocol === "v2" ? { error: message } : { error: { code, message } };
  return { status, body, code, internal, headers };
}
