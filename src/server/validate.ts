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

/** Parses bytes as UTF-8 JSON, with a 400 that says what was wrong. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) {
    throw new MmmlError("invalid_input", "Request body is empty; expected a JSON object");
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
  { maxBytes }: { maxBytes: number },
): MiddlewareHandler<ServerEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    const type = mediaType(c);
    if (!isJsonType(type)) {
      throw new MmmlError(
        "unsupported_media_type",
        `Content-Type: expected application/json, received ${type ? JSON.stringify(type) : "none"}`,
      );
    }
    const data = parseWith(schema, parseJsonBytes(await readBody(c, maxBytes)));
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
  { maxBytes }: { maxBytes: number },
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
      value = parseJsonBytes(bytes);
    }
    c.req.addValidatedData("json", parseWith(schema, value) as object);
    await next();
  };
}
