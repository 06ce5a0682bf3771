import assert from "node:assert/strict";
import { join } from "node:path";
import { MmmlError } from "../errors.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { artifactFolder, versionFolder } from "./artifact_folder.ts";
import { JSON_ARTIFACTS } from "./version_files.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mmml_artifacts_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const versionAt = (dir: string) => ({ dir, meta: { name: "iris", version: 3 } }) as unknown as ModelVersion;

const rejectsWith = (code: string, text: string | RegExp) => (e: unknown) =>
  e instanceof MmmlError && e.code === code &&
  (typeof text === "string" ? e.message === text : text.test(e.message));

Deno.test("a missing file is artifact_corrupt in a registered version and file_not_found in a named folder", () =>
  withDir(async (dir) => {
    const path = join(dir, "classes.json");
    await assert.rejects(
      versionFolder(versionAt(dir)).read("classes"),
      rejectsWith("artifact_corrupt", `iris@3: ${path} is missing`),
    );
    await assert.rejects(
      artifactFolder(dir, { label: `work folder ${dir}` }).read("classes"),
      rejectsWith("file_not_found", `work folder ${dir}: ${path} is missing`),
    );
    await assert.rejects(
      versionFolder(versionAt(dir)).readModel(),
      rejectsWith("artifact_corrupt", /^iris@3: .*model\.json/),
    );
    await assert.rejects(artifactFolder(dir).readModel(), rejectsWith("file_not_found", /model\.json/));
    assert.equal(await versionFolder(versionAt(dir)).readOptional("roc"), undefined);
  }));

Deno.test("bad JSON and a field against the schema are artifact_corrupt, naming the file, field and value", () =>
  withDir(async (dir) => {
    const folder = versionFolder(versionAt(dir));
    await Deno.writeTextFile(join(dir, "classes.json"), '["a", ');
    await assert.rejects(
      folder.read("classes"),
      rejectsWith("artifact_corrupt", /^iris@3: .*classes\.json is not valid JSON/),
    );
    await Deno.writeTextFile(join(dir, "classes.json"), '["a", 7]');
    await assert.rejects(
      folder.read("classes"),
      rejectsWith("artifact_corrupt", new RegExp(`^iris@3: ${join(dir, "classes.json")}: 1: .*received 7$`)),
    );
    await assert.rejects(folder.readRaw("run"), rejectsWith("artifact_corrupt", /run\.json is missing/));
    assert.deepEqual(await folder.readRaw("classes"), ["a", 7]);
    assert.throws(() => folder.path("../../etc/passwd"), rejectsWith("artifact_corrupt", /must stay inside/));
  }));

Deno.test("write checks the value against the file's schema and lays the file out as the table says", () =>
  withDir(async (dir) => {
    const folder = artifactFolder(dir);
    await folder.write("classes", ["setosa", "virginica"]);
    assert.deepEqual(await folder.read("classes"), ["setosa", "virginica"]);
    assert.equal((await Deno.readTextFile(folder.path("classes.json"))).split("\n").length, 5);
    await assert.rejects(folder.write("classes", ["only one"]), TypeError);
    assert.equal(await folder.has("nothing.json"), false);
  }));

Deno.test("the table names each JSON file once", () => {
  const files = Object.values(JSON_ARTIFACTS).map((a) => a.file);
  assert.equal(new Set(files).size, files.length);
  for (const file of files) assert.match(file, /^[a-z_]+\.json$/);
});
