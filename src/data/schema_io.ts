/**
 * Where a DataSchema comes from and goes to: inferred from training data, read from a hand-written
 * JSON or YAML file (which may leave the classes to the data), and written back out beside a model.
 */
import { FILE_LIMITS, readTextBounded } from "../bounded_read.ts";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import type { ColumnType } from "../config/schema.ts";
import { describeValue, MmmlError } from "../errors.ts";
import { categoryOf, parseBooleanCell, parseNumberCell } from "./cells.ts";
import { ColumnSchema, DataSchema } from "./data_schema.ts";
import { dateFormatsOf } from "./dates.ts";
import { encodeLabels } from "./label_encoding.ts";
import type { RawTable } from "./table.ts";
import { inferColumnTypes } from "./type_inference.ts";

/** A schema as a person writes it: DataSchema, except that the classes may be left to the data. */
export const SchemaFile = z.strictObject({
  ...DataSchema.shape,
  classes: z.array(z.string()).min(2).optional(),
});
export type SchemaFile = z.infer<typeof SchemaFile>;

export interface InferSchemaOptions {
  label: string;
  /** A regression's label is a number: no classes. */
  problemType?: "classification" | "regression";
  /** `data.column_types`: types forced by config. */
  overrides?: Readonly<Record<string, ColumnType>>;
  /** `data.drop_columns`: columns that are not features. */
  dropColumns?: readonly string[];
}

/**
 * The schema of training data: feature columns in header order (label and dropped columns left out),
 * nullable where training had missing values, sorted categories, and the sorted label classes.
 */
export function inferSchema(
  table: RawTable,
  { label, overrides = {}, dropColumns = [], problemType = "classification" }: InferSchemaOptions,
): DataSchema {
  const absent = dropColumns.filter((name) => !table.columns.has(name));
  if (absent.length > 0) {
    throw new MmmlError(
      "invalid_input",
      `data.drop_columns names ${absent.map((n) => `"${n}"`).join(", ")}, which ${table.file} lacks; ` +
        `its columns are: ${table.header.join(", ")}`,
    );
  }
  if (dropColumns.includes(label)) {
    throw new MmmlError(
      "invalid_input",
      `data.drop_columns includes the label "${label}"; remove it from the list`,
    );
  }
  const classes = problemType === "regression" ? [] : encodeLabels(table, label).classes;
  const types = inferColumnTypes(table, { overrides, label, dropColumns });
  const columns = [...types].map(([name, type]) => describeColumn(table, name, type));
  return DataSchema.parse({
    columns,
    label,
    ...(problemType === "regression" ? { problem_type: problemType } : {}),
    classes,
  });
}

/**
 * Completes a schema file with what the data says: the classes when the file leaves them out, and the
 * categories of categorical and boolean columns that declare none.
 */
export function resolveSchema(file: SchemaFile, table: RawTable): DataSchema {
  const regression = file.problem_type === "regression";
  const classes = regression ? [] : file.classes ?? encodeLabels(table, file.label).classes;
  const columns = file.columns.map((column) => {
    if (!table.columns.has(column.name)) return column;
    if (column.type === "date") {
      return column.format
        ? column
        : { ...column, format: describeColumn(table, column.name, "date").format };
    }
    if (column.categories !== undefined || column.type === "numeric") return column;
    return { ...column, categories: describeColumn(table, column.name, column.type).categories };
  });
  return DataSchema.parse({ ...file, columns, classes });
}

/** Reads and validates a schema file (.json, or YAML for any other extension). */
export async function loadSchemaFile(path: string): Promise<SchemaFile> {
  const fail = (detail: string, cause?: unknown) =>
    new MmmlError("invalid_input", `Cannot load schema "${path}": ${detail}`, { cause });
  let text: string;
  try {
    text = await readTextBounded(path, { what: "schema", maxBytes: FILE_LIMITS.schema });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `Cannot load schema "${path}": file not found`, { cause: err });
    }
    if (err instanceof MmmlError) throw err;
    throw fail((err as Error).message, err);
  }
  let data: unknown;
  try {
    data = path.toLowerCase().endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    // Only syntax errors are the file's fault; anything else (permissions) is not ours to reword.
    if (!(err instanceof SyntaxError) && !(err instanceof Error && err.name.startsWith("YAML"))) throw err;
    const format = path.toLowerCase().endsWith(".json") ? "JSON" : "YAML";
    throw fail(`not valid ${format}: ${(err as Error).message}`, err);
  }
  const parsed = SchemaFile.safeParse(data, { reportInput: true });
  const problems = parsed.success ? schemaProblems(parsed.data) : parsed.error.issues.map(formatIssue);
  if (problems.length > 0) {
    throw new MmmlError(
      "invalid_input",
      problems.map((p) => `Cannot load schema "${path}": ${p}`).join("\n"),
      {
        details: { problems },
      },
    );
  }
  return (parsed as { data: SchemaFile }).data;
}

/** The schema as text in the given format; loadSchemaFile reads it back unchanged. */
export function stringifySchema(schema: SchemaFile, format: "json" | "yaml" = "json"): string {
  return format === "json" ? JSON.stringify(schema, null, 2) + "\n" : stringifyYaml(schema);
}

/** Writes the schema as JSON, or as YAML when the path ends in .yaml or .yml. */
export async function saveSchemaFile(path: string, schema: SchemaFile): Promise<void> {
  const format = /\.ya?ml$/i.test(path) ? "yaml" : "json";
  await Deno.writeTextFile(path, stringifySchema(schema, format));
}

/** Checks a well-formed schema file for contradictions zod cannot see. */
function schemaProblems(file: SchemaFile): string[] {
  const problems: string[] = [];
  if (file.columns.length === 0) {
    problems.push("columns: expected at least one feature column, received none");
  }
  const seen = new Set<string>();
  file.columns.forEach((column, i) => {
    if (seen.has(column.name)) problems.push(`columns.${i}.name: duplicate column "${column.name}"`);
    if (column.name === file.label) {
      problems.push(`columns.${i}.name: "${column.name}" is the label; the label is not a feature column`);
    }
    seen.add(column.name);
  });
  if (file.classes && new Set(file.classes).size !== file.classes.length) {
    problems.push(`classes: expected distinct class names, received ${file.classes.join(", ")}`);
  }
  return problems;
}

/** One zod issue as `path: expected ..., received ...`. */
function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
  const received = `received ${describeValue(issue.input)}`;
  switch (issue.code) {
    case "invalid_value":
      return `${path}: expected one of ${issue.values.join("|")}, ${received}`;
    case "invalid_type":
      return `${path}: expected ${issue.expected}, ${received}`;
    case "unrecognized_keys":
      return `${path}: unknown key${issue.keys.length > 1 ? "s" : ""} ${
        issue.keys.map((k) => `"${k}"`).join(", ")
      }`;
    case "too_small": {
      const unit = issue.origin === "array" ? " items" : issue.origin === "string" ? " characters" : "";
      return `${path}: expected at least ${issue.minimum}${unit}, ${received}`;
    }
    default:
      return `${path}: ${issue.message}, ${received}`;
  }
}

/** A column's schema from its cells: nullable when any is missing; sorted categories. */
function describeColumn(table: RawTable, name: string, type: ColumnType): ColumnSchema {
  const cells = table.columns.get(name) ?? [];
  let nullable = false;
  if (type === "numeric") {
    for (const cell of cells) {
      const parsed = parseNumberCell(cell);
      if (parsed.ok && parsed.value === null) {
        nullable = true;
        break;
      }
    }
    return ColumnSchema.parse({ name, type, nullable, required: true });
  }
  if (type === "date") {
    const format = dateFormatsOf(cells)[0];
    return ColumnSchema.parse({ name, type, nullable: cells.includes(null), required: true, format });
  }
  const categories = new Set<string>();
  for (const cell of cells) {
    const value = type === "boolean" ? booleanCategory(cell) : categoryOf(cell);
    if (value === null) nullable = true;
    else if (value !== undefined) categories.add(value);
  }
  return ColumnSchema.parse({ name, type, nullable, required: true, categories: [...categories].sort() });
}

/** "true"/"false" for a boolean cell, null when missing, undefined when it is not a boolean. */
function booleanCategory(cell: string | null): string | null | undefined {
  const parsed = parseBooleanCell(cell);
  if (!parsed.ok) return undefined;
  return parsed.value === null ? null : String(parsed.value);
}
