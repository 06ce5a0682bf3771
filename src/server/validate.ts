/**
 * The one wrapped zod validator for request bodies: checks the media type (415), reads the body under
 * the size limit (413), parses JSON (400) and validates it against a schema (400 naming the field by its
 * path, e.g. `instances[2].sepal_length`). Routes read the result with `c.req.valid("json")`.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { z } from "zod";
import { describeValue, MmmlError } from "../errors.ts";
import { readBody } from "./read_body.ts";
import type { ServerEnv } from "./server_env.ts";

/** The media type of a request without parameters, lower-cased ("" when absent). */
export function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/;

/** True for `application/json` and `application/*+json`. */
export function isJsonType(type: string): boolean {
  return JSON_TYPE.test(type);
}

/** `instances[2].sepal_length`; the empty path is the body itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || "body";
}

/** One message for up to five zod issues, each naming its field. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${formatPath(i.path)}: ${i.message}`);
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : "";
  return `Invalid request body: ${shown.join("; ")}${more}`;
}

/** How deep a JSON body may nest unless the server says otherwise (serving.limits.max_json_depth). */
export const DEFAULT_MAX_JSON_DEPTH = 32;

/**
 * The nesting depth of JSON text, or -1 once it passes `limit` (one pass over the bytes, brackets in
 * strings skipped), so a 5M-deep body is refused in milliseconds instead of recursing in JSON.parse.
 */
export function jsonDepth(bytes: Uint8Array, limit: number): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c /* \ */) i++;
      else if (b === 0x22 /* " */) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > limit) return -1;
      if (depth > max) max = depth;
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
  return max;
}

/** Parses bytes as UTF-8 JSON, with a 400 that says what was wrong. */
export function parseJsonBytes(bytes: Uint8Array, maxDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  if (bytes.byteLength === 0) {
    throw new MmmlError("invalid_input", "Request body is empty; expected a JSON object");
  }
  if (jsonDepth(bytes, maxDepth) < 0) {
    throw new MmmlError(
      "invalid_input",
      `Request body nests deeper than ${maxDepth} levels (serving.limits.max_json_depth); expected a flat ` +
        `JSON object of rows, images or tensors`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new MmmlError("invalid_input", "Request body is not valid UTF-8; expected JSON text");
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new MmmlError("invalid_input", `Request body is not valid JSON: ${why}`);
  }
}

/** Validates parsed JSON against `schema`, throwing 400 with the issues' paths. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new MmmlError(
      "invalid_input",
      `Invalid request body: expected a JSON object, received ${describeValue(value)}`,
    );
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new MmmlError("validation_failed", formatIssues(result.error.issues));
  return result.data;
}

/** Middleware: a JSON body validated by `schema`, limited to `maxBytes`. */
export function validateJson<S extends z.ZodType>(
  schema: S,
  { maxBytes, maxDepth }: { maxBytes: number; maxDepth?: number },
): MiddlewareHandler<ServerEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    const type = mediaType(c);
    if (!isJsonType(type)) {
      throw new MmmlError(
        "unsupported_media_type",
        `Content-Type: expected application/json, received ${type ? JSON.stringify(type) : "none"}`,
      );
    }
    const data = parseWith(schema, parseJsonBytes(await readBody(c, maxBytes), maxDepth));
    c.req.addValidatedData("json", data as object);
    await next();
  };
}

/**
 * Middleware like `validateJson`, for bodies that may be left out (the OIP v2 repository requests): an
 * empty body, whatever its Content-Type, validates as `{}`.
 */
export function validateOptionalJson<S extends z.ZodType>(
  schema: S,
  { maxBytes, maxDepth }: { maxBytes: number; maxDepth?: number },
): MiddlewareHandler<ServerEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    const bytes = await readBody(c, maxBytes);
    let value: unknown = {};
    if (bytes.byteLength > 0) {
      const type = mediaType(c);
      if (!isJsonType(type)) {
        throw new MmmlError(
          "unsupported_media_type",
          `Content-Type: expected application/json, received ${type ? JSON.stringify(type) : "none"}`,
        );
      }
      value = parseJsonBytes(bytes, maxDepth);
    }
    c.req.addValidatedData("json", parseWith(schema, value) as object);
    await next();
  };
}
