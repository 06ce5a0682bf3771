import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { parseCsvText, readCsv } from "./csv_adapter.ts";
import { inferSchema, loadSchemaFile, resolveSchema, saveSchemaFile, stringifySchema } from "./schema_io.ts";

const fixture = (name: string) => new URL(`../../fixtures/csv/${name}`, import.meta.url).pathname;

async function assertMmmlError(fn: () => unknown, code: string, fragments: string[]): Promise<MmmlError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof MmmlError, `expected an MmmlError, got ${caught}`);
  assert.equal(caught.code, code);
  for (const f of fragments) assert.ok(caught.message.includes(f), `"${caught.message}" lacks "${f}"`);
  return caught;
}

Deno.test("inferSchema describes feature columns in header order with nullability, categories and classes", async () => {
  const table = await readCsv(fixture("mixed_types.csv"));
  const schema = inferSchema(table, { label: "species", dropColumns: ["short"] });
  assert.deepEqual(schema, {
    label: "species",
    classes: ["a", "b"],
    columns: [
      { name: "height", type: "numeric", nullable: true, required: true },
      { name: "flag", type: "boolean", nullable: false, required: true, categories: ["false", "true"] },
      { name: "bit", type: "numeric", nullable: true, required: true },
      {
        name: "color",
        type: "categorical",
        nullable: true,
        required: true,
        categories: ["blue", "green", "red"],
      },
    ],
  });
});

Deno.test("inferSchema applies declared column types", async () => {
  const table = await readCsv(fixture("mixed_types.csv"));
  const schema = inferSchema(table, { label: "species", overrides: { bit: "boolean", short: "boolean" } });
  const bit = schema.columns.find((c) => c.name === "bit");
  assert.deepEqual(bit, {
    name: "bit",
    type: "boolean",
    nullable: true,
    required: true,
    categories: ["false", "true"],
  });
  assert.equal(schema.columns.find((c) => c.name === "short")?.type, "boolean");
});

Deno.test("inferSchema rejects dropping a column the file lacks, or the label", async () => {
  const table = await readCsv(fixture("mixed_types.csv"));
  await assertMmmlError(
    () => inferSchema(table, { label: "species", dropColumns: ["colour"] }),
    "invalid_input",
    [
      'data.drop_columns names "colour"',
      "mixed_types.csv",
      "height, flag, bit, color, short, species",
    ],
  );
  await assertMmmlError(
    () => inferSchema(table, { label: "species", dropColumns: ["species"] }),
    "invalid_input",
    [
      'includes the label "species"',
    ],
  );
});

Deno.test("inferSchema rejects a label with a single class", async () => {
  const table = parseCsvText("x,y\n1,a\n2,a\n", "one.csv");
  await assertMmmlError(() => inferSchema(table, { label: "y" }), "invalid_input", ['single class "a"']);
});

Deno.test("loadSchemaFile reads a YAML schema and applies the defaults", async () => {
  const file = await loadSchemaFile(fixture("schema_full.yaml"));
  assert.deepEqual(file, {
    label: "species",
    classes: ["a", "b"],
    columns: [
      { name: "height", type: "numeric", nullable: true, required: true },
      { name: "flag", type: "boolean", nullable: false, required: true },
      {
        name: "color",
        type: "categorical",
        nullable: true,
        required: true,
        categories: ["blue", "green", "red"],
      },
    ],
  });
});

Deno.test("resolveSchema fills classes and categories from the data when the file leaves them out", async () => {
  const file = await loadSchemaFile(fixture("schema_no_classes.json"));
  assert.equal(file.classes, undefined);
  const schema = resolveSchema(file, await readCsv(fixture("mixed_types.csv")));
  assert.deepEqual(schema.classes, ["a", "b"]);
  assert.deepEqual(schema.columns.map((c) => c.categories), [
    undefined,
    ["blue", "green", "red"],
    ["false", "true"],
    undefined,
  ]);
});

Deno.test("loadSchemaFile reports a bad column type like a compiler", async () => {
  const path = fixture("schema_bad_type.yaml");
  const err = await assertMmmlError(() => loadSchemaFile(path), "invalid_input", []);
  assert.equal(
    err.message,
    `Cannot load schema "${path}": columns.2.type: expected one of numeric|categorical|boolean|date, received "num"`,
  );
});

Deno.test("loadSchemaFile names an unknown key", async () => {
  await assertMmmlError(() => loadSchemaFile(fixture("schema_unknown_key.yaml")), "invalid_input", [
    'schema_unknown_key.yaml": columns.0: unknown key "nulable"',
  ]);
});

Deno.test("loadSchemaFile reports a missing file, broken YAML and contradictions", async (t) => {
  await t.step("missing file", async () => {
    await assertMmmlError(() => loadSchemaFile("/nonexistent/schema.yaml"), "file_not_found", [
      'Cannot load schema "/nonexistent/schema.yaml": file not found',
    ]);
  });
  await t.step("broken YAML", async () => {
    await assertMmmlError(() => loadSchemaFile(fixture("schema_broken.yaml")), "invalid_input", [
      "schema_broken.yaml",
      "not valid YAML",
    ]);
  });
  await t.step("duplicates, the label among the columns, one class", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/s.json`;
      await Deno.writeTextFile(
        path,
        JSON.stringify({
          label: "y",
          columns: [{ name: "a", type: "numeric" }, { name: "a", type: "numeric" }, {
            name: "y",
            type: "boolean",
          }],
        }),
      );
      await assertMmmlError(() => loadSchemaFile(path), "invalid_input", [
        'columns.1.name: duplicate column "a"',
        'columns.2.name: "y" is the label',
      ]);
      await Deno.writeTextFile(path, JSON.stringify({ label: "y", classes: ["a"], columns: [] }));
      await assertMmmlError(() => loadSchemaFile(path), "invalid_input", [
        "classes: expected at least 2 items, received an array of 1",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("saveSchemaFile writes JSON and YAML that loadSchemaFile reads back unchanged", async () => {
  const table = await readCsv(fixture("mixed_types.csv"));
  const schema = inferSchema(table, { label: "species" });
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["schema.json", "schema.yaml"]) {
      await saveSchemaFile(`${dir}/${name}`, schema);
      assert.deepEqual(await loadSchemaFile(`${dir}/${name}`), schema);
    }
    assert.ok(stringifySchema(schema).startsWith("{\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
