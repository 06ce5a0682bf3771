/**
 * Turns a POST /predict/image request into a model reference and encoded image bytes. Two shapes are
 * accepted: multipart/form-data with one or more `file` fields (plus `model` and optional `version`
 * fields, or `?model=` in the query), and JSON `{"model", "version"?, "images": [base64, ...]}`.
 */
import type { Context } from "hono";
import { z } from "zod";
import { describeValue, MmmlError } from "../errors.ts";
import { readBody } from "./read_body.ts";
import type { ServerEnv } from "./server_env.ts";
import { isJsonType, mediaType, parseJsonBytes, parseWith } from "./validate.ts";
import { type Limits, requireWithin } from "./request_limits.ts";

const modelName = z.string().min(1).max(200);

/** JSON form of an image request. */
export const ImageJsonRequest = z.strictObject({
  model: modelName,
  version: z.number().int().positive().optional(),
  images: z.array(z.string().min(1)).min(1).max(1024),
});

const MultipartFields = z.strictObject({
  model: modelName,
  version: z.string().regex(/^[1-9]\d{0,8}$/, "expected a positive integer").transform(Number).optional(),
});

export interface ImageRequest {
  model: string;
  version?: number;
  images: Uint8Array[];
}

const DATA_URL = /^data:[\w.+/-]*;base64,/;

/** Decodes standard base64 (a `data:...;base64,` prefix is allowed), naming the field on failure. */
export function decodeBase64(text: string, field: string): Uint8Array {
  const clean = text.replace(DATA_URL, "").replace(/\s+/g, "");
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(clean);
  } catch {
    throw new MmmlError(
      "invalid_input",
      `${field}: expected base64-encoded image bytes, received ${describeValue(text)}`,
    );
  }
  if (bytes.length === 0) throw new MmmlError("invalid_input", `${field}: the image is empty`);
  return bytes;
}

/** Uint8Array.fromBase64 (native, fast) where the runtime has it, else atob and a copy loop. */
function fromBase64(clean: string): Uint8Array {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (native) return native(clean);
  const binary = atob(clean);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function parseMultipart(
  c: Context<ServerEnv>,
  maxBytes: number,
  limits: Limits,
): Promise<ImageRequest> {
  const bytes = await readBody(c, maxBytes);
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { "content-type": c.req.header("content-type")! } })
      .formData();
  } catch (err) {
    throw new MmmlError(
      "invalid_input",
      `Request body is not valid multipart/form-data: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const fields: Record<string, unknown> = {};
  const queryModel = c.req.query("model");
  if (queryModel !== undefined) fields.model = queryModel;
  const queryVersion = c.req.query("version");
  if (queryVersion !== undefined) fields.version = queryVersion;
  const files: File[] = [];
  for (const [key, value] of form.entries()) {
    if (key === "file") {
      if (typeof value === "string") {
        throw new MmmlError(
          "invalid_input",
          `file[${files.length}]: expected an uploaded file, received a text field`,
        );
      }
      files.push(value);
      requireWithin("file", files.length, limits.max_images, "max_images");
    } else if (typeof value !== "string") {
      throw new MmmlError("invalid_input", `${key}: expected a text field, received a file`);
    } else fields[key] = value;
  }
  const { model, version } = parseWith(MultipartFields, fields);
  if (files.length === 0) {
    throw new MmmlError("invalid_input", `file: expected at least one uploaded image, received none`);
  }
  const images = await Promise.all(files.map(async (f, i) => {
    const data = new Uint8Array(await f.arrayBuffer());
    if (data.length === 0) {
      throw new MmmlError(
        "invalid_input",
        `file[${i}]: the uploaded file ${JSON.stringify(f.name)} is empty`,
      );
    }
    return data;
  }));
  return { model, version, images };
}

/** Reads either request shape; 415 for any other content type. */
export async function parseImageRequest(
  c: Context<ServerEnv>,
  maxBytes: number,
  limits: Limits,
): Promise<ImageRequest> {
  const type = mediaType(c);
  if (type === "multipart/form-data") return await parseMultipart(c, maxBytes, limits);
  if (isJsonType(type)) {
    const body = parseWith(
      ImageJsonRequest,
      parseJsonBytes(await readBody(c, maxBytes), limits.max_json_depth),
    );
    requireWithin("images", body.images.length, limits.max_images, "max_images");
    return {
      model: body.model,
      version: body.version,
      images: body.images.map((s, i) => decodeBase64(s, `images[${i}]`)),
    };
  }
  throw new MmmlError(
    "unsupported_media_type",
    `Content-Type: expected multipart/form-data or application/json, received ${
      type ? JSON.stringify(type) : "none"
    }`,
  );
}
