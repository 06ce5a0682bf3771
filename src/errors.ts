/**
 * The one domain error type. `code` is stable: the CLI maps it to an exit status and the server maps it
 * to an HTTP status (src/server/errors.ts), each in one place.
 */
export const ERROR_CODES = {
  usage: { exit: 2, http: 400 },
  invalid_input: { exit: 2, http: 400 },
  validation_failed: { exit: 2, http: 400 },
  schema_mismatch: { exit: 2, http: 400 },
  config_invalid: { exit: 2, http: 400 },
  file_not_found: { exit: 2, http: 404 },
  model_not_found: { exit: 2, http: 404 },
  unsupported: { exit: 2, http: 400 },
  backend_unavailable: { exit: 2, http: 503 },
  payload_too_large: { exit: 2, http: 413 },
  unsupported_media_type: { exit: 2, http: 415 },
  unauthorized: { exit: 2, http: 401 },
  disk_full: { exit: 2, http: 507 },
  timeout: { exit: 1, http: 504 },
  not_ready: { exit: 1, http: 503 },
  overloaded: { exit: 1, http: 503 },
  artifact_corrupt: { exit: 1, http: 500 },
  internal: { exit: 1, http: 500 },
} as const satisfies Record<string, { exit: number; http: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A domain failure: the message names the file/row/column/field and the value received. */
export class MmmlError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "MmmlError";
    this.code = code;
    this.details = options.details;
  }
}

/** Process exit status for an error: 2 for bad input or usage, 1 for anything internal. */
export function exitCodeFor(err: unknown): number {
  return err instanceof MmmlError ? ERROR_CODES[err.code].exit : 1;
}

/** Short description of a received value for error messages: `received "ten"`, `received 3.5`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
  }
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}
