/**
 * Checks a JSON artifact read back from a version folder against its zod schema, so a hand-edited or
 * truncated file is refused with the file, the field and the value instead of a blank chart.
 */
import type { z } from "zod";
import { describeValue, MmmlError } from "../errors.ts";

/** Parses `value` with `schema`; throws MmmlError "artifact_corrupt" naming `where` and the first bad field. */
export function parseArtifact<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.path.map(String);
  let received: unknown = value;
  for (const key of issue.path) {
    received = received !== null && typeof received === "object"
      ? (received as Record<PropertyKey, unknown>)[key as PropertyKey]
      : undefined;
  }
  const field = path.length ? path.join(".") : "(top level)";
  throw new MmmlError(
    "artifact_corrupt",
    `${where}: ${field}: ${issue.message.replace(/^Invalid input: /, "")}, received ${
      describeValue(received)
    }`,
  );
}
