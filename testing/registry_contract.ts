/**
 * The behaviour every database-backed registry must show, defined once and run by
 * sqlite_registry_test.ts and postgres_registry_test.ts against a real database each.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  entries,
  PG_SKIP,
  pgTestName,
  rejectsWith,
  sampleMeta,
  type TestBackend,
  withRegistry,
  writeArtifacts,
} from "./registry_support.ts";

/** Registers Deno tests for `backend`. */
export function defineRegistryContract(backend: TestBackend): void {
  const name = (what: string) => {
    const full = `${backend.label} registry ${what}`;
    return backend.label === "PostgreSQL" ? pgTestName(full) : full;
  };
  const ignore = backend.label === "PostgreSQL" && PG_SKIP !== null;
  const test = (what: string, fn: () => Promise<void>) => Deno.test({ name: name(what), ignore, fn });

  test("publishes v1 and v2 with a sha256 per file and a meta.json mirror", () =>
    withRegistry(backend, async (reg, place) => {
      const v1 = await reg.register("penguins", sampleMeta(), writeArtifacts("one"));
      const v2 = await reg.register("penguins", sampleMeta(), writeArtifacts("two"));
      assert.deepEqual([v1.meta.version, v2.meta.version], [1, 2]);
      assert.equal(v2.dir, join(place.artifacts, "penguins", "v2"));
      assert.deepEqual(Object.keys(v1.meta.files).sort(), [
        "model/model.json",
        "model/weights.bin",
        "schema.json",
      ]);
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("weights of one"));
      const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
      assert.equal(v1.meta.files["model/weights.bin"], hex);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(join(v1.dir, "meta.json"))), v1.meta);
      assert.deepEqual(await entries(join(place.artifacts, "penguins")), ["v1", "v2"]);
      assert.deepEqual(await reg.list(), [v1, v2]);
      assert.deepEqual(await reg.resolve("penguins@1"), v1);
    }));

  test("resolves NAME, NAME@3, @latest, @best and a stage", () =>
    withRegistry(backend, async (reg) => {
      const metrics = [
        { "val.macro_f1": 0.8, "val.accuracy": 0.95 },
        { "val.macro_f1": 0.9, "val.accuracy": 0.85 },
        { "val.macro_f1": 0.9, "val.accuracy": 0.88 },
        { "val.macro_f1": 0.7, "val.accuracy": 0.99 },
      ];
      for (const [i, m] of metrics.entries()) {
        await reg.register("penguins", sampleMeta(m), writeArtifacts(`${i}`));
      }
      await reg.register("iris", sampleMeta(), writeArtifacts("iris"));
      await reg.setStages("penguins", 1, ["production", "staging"]);
      await reg.setStages("penguins", 2, ["production"]);
      const at = async (ref: string) => (await reg.resolve(ref)).meta.version;
      assert.equal(await at("penguins"), 4);
      assert.equal(await at("penguins@latest"), 4);
      assert.equal(await at("penguins@3"), 3);
      assert.equal(await at("penguins@v2"), 2);
      assert.equal(await at("penguins@best"), 3);
      assert.equal(await at("penguins@production"), 2);
      assert.equal(await at("penguins@staging"), 1);
      assert.equal(await at("iris"), 1);
      await rejectsWith(reg.resolve("penguins@9"), "model_not_found", /versions of penguins are 1, 2, 3, 4/);
      await rejectsWith(reg.resolve("pinguins"), "model_not_found", /available models are iris, penguins/);
      await rejectsWith(reg.resolve("penguins@archived"), "model_not_found", /stage "archived"/);
      await rejectsWith(reg.resolve("iris@best"), "model_not_found", /val.macro_f1/);
      await rejectsWith(reg.resolve("../penguins"), "invalid_input", /received "..\/penguins"/);
    }));

  test("moves a stage with exclusive promotion, replaces tags and keeps meta.json in step", () =>
    withRegistry(backend, async (reg) => {
      for (const t of ["a", "b", "c"]) await reg.register("penguins", sampleMeta(), writeArtifacts(t));
      await reg.setStages("penguins", 1, ["production", "staging"]);
      const v2 = await reg.setStages("penguins", 2, ["production"], { exclusive: true });
      assert.deepEqual(v2.meta.stages, ["production"]);
      assert.deepEqual((await reg.list("penguins")).map((v) => v.meta.stages), [
        ["staging"],
        ["production"],
        [],
      ]);
      const mirrored = JSON.parse(
        await Deno.readTextFile(join((await reg.resolve("penguins@1")).dir, "meta.json")),
      );
      assert.deepEqual(mirrored.stages, ["staging"]);
      const tagged = await reg.setTags("penguins", 3, ["candidate", "run 42", "candidate"]);
      assert.deepEqual(tagged.meta.tags, ["candidate", "run 42"]);
      assert.deepEqual((await reg.resolve("penguins@3")).meta.tags, ["candidate", "run 42"]);
      await rejectsWith(reg.setStages("penguins", 1, ["latest"]), "invalid_input", /reserved/);
      await rejectsWith(reg.setTags("penguins", 1, [""]), "invalid_input", /Invalid tag ""/);
      await rejectsWith(reg.setStages("penguins", 7, ["production"]), "model_not_found", /are 1, 2, 3/);
      assert.deepEqual((await reg.resolve("penguins@production")).meta.version, 2);
    }));

  test("deletes the row, then the folder, and never reuses the number", () =>
    withRegistry(backend, async (reg, place) => {
      for (const t of ["a", "b", "c"]) await reg.register("penguins", sampleMeta(), writeArtifacts(t));
      await reg.delete("penguins", 3);
      await reg.delete("penguins", 1);
      assert.deepEqual((await reg.list("penguins")).map((v) => v.meta.version), [2]);
      assert.deepEqual(await entries(join(place.artifacts, "penguins")), ["v2"]);
      await rejectsWith(reg.delete("penguins", 3), "model_not_found", /versions of penguins are 2/);
      const v4 = await reg.register("penguins", sampleMeta(), writeArtifacts("d"));
      assert.equal(v4.meta.version, 4);
      await rejectsWith(reg.resolve("penguins@3"), "model_not_found", /are 2, 4/);
    }));

  test("publishes nothing and leaves no staging folder when write throws", () =>
    withRegistry(backend, async (reg, place) => {
      const boom = new Error("disk full while writing weights");
      await assert.rejects(
        reg.register("penguins", sampleMeta(), async (dir) => {
          await writeArtifacts("half")(dir);
          throw boom;
        }),
        (e) => e === boom,
      );
      assert.deepEqual(await entries(join(place.artifacts, "penguins")), []);
      assert.deepEqual(await reg.list(), []);
      assert.equal((await reg.register("penguins", sampleMeta(), writeArtifacts("ok"))).meta.version, 1);
      await rejectsWith(
        reg.register("registry.db", sampleMeta(), writeArtifacts("x")),
        "invalid_input",
        /reserved for the database/,
      );
    }));

  test("verify names a changed byte, a truncated file and a missing file", () =>
    withRegistry(backend, async (reg) => {
      const v = await reg.register("penguins", sampleMeta(), writeArtifacts("x"));
      await reg.verify(await reg.resolve("penguins@1"));
      const weights = join(v.dir, "model", "weights.bin");
      const bytes = await Deno.readFile(weights);
      bytes[3] ^= 1;
      await Deno.writeFile(weights, bytes);
      await rejectsWith(
        reg.verify(await reg.resolve("penguins")),
        "artifact_corrupt",
        /"model\/weights.bin" of penguins@1 .*changed since registration/,
      );
      bytes[3] ^= 1;
      await Deno.writeFile(weights, bytes.subarray(0, 5));
      await rejectsWith(
        reg.verify(await reg.resolve("penguins")),
        "artifact_corrupt",
        /"model\/weights.bin"/,
      );
      await Deno.writeFile(weights, bytes);
      await Deno.remove(join(v.dir, "schema.json"));
      await rejectsWith(
        reg.verify(await reg.resolve("penguins")),
        "artifact_corrupt",
        /"schema.json" .*missing/,
      );
    }));

  test("ignores orphan version and staging folders, and the next publish sweeps orphans", () =>
    withRegistry(backend, async (reg, place) => {
      await reg.register("penguins", sampleMeta(), writeArtifacts("a"));
      const models = join(place.artifacts, "penguins");
      // What a SIGKILL between rename and COMMIT leaves: a complete-looking v2 with no row.
      await Deno.mkdir(join(models, "v2"));
      await Deno.writeTextFile(join(models, "v2", "meta.json"), "{}");
      await Deno.mkdir(join(models, ".staging-crashed"));
      await Deno.mkdir(join(models, ".trash-crashed"));
      assert.deepEqual((await reg.list()).map((v) => v.meta.version), [1]);
      assert.equal((await reg.resolve("penguins")).meta.version, 1);
      const v2 = await reg.register("penguins", sampleMeta(), writeArtifacts("b"));
      assert.equal(v2.meta.version, 2);
      await reg.verify(v2);
      // The fresh staging folder may belong to a live writer, so only the trash goes.
      assert.deepEqual(await entries(models), [".staging-crashed", "v1", "v2"]);
    }));

  test("hides a row whose folder is gone and says so for an explicit version", () =>
    withRegistry(backend, async (reg) => {
      await reg.register("penguins", sampleMeta(), writeArtifacts("a"));
      const v2 = await reg.register("penguins", sampleMeta(), writeArtifacts("b"));
      await Deno.remove(v2.dir, { recursive: true });
      assert.deepEqual((await reg.list()).map((v) => v.meta.version), [1]);
      assert.equal((await reg.resolve("penguins")).meta.version, 1);
      await rejectsWith(reg.resolve("penguins@2"), "artifact_corrupt", /penguins@2 is registered .* missing/);
    }));

  test("gives 8 registrations at once in one process distinct versions 1..8", () =>
    withRegistry(backend, async (reg) => {
      const settled = await Promise.allSettled(
        Array.from(
          { length: 8 },
          (_, i) => reg.register("penguins", sampleMeta(), writeArtifacts(`job${i}`)),
        ),
      );
      const made = settled.map((r) => {
        if (r.status === "rejected") throw r.reason;
        return r.value.meta.version;
      });
      assert.deepEqual(made.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
      const listed = await reg.list("penguins");
      assert.deepEqual(listed.map((v) => v.meta.version), [1, 2, 3, 4, 5, 6, 7, 8]);
      await Promise.all(listed.map((v) => reg.verify(v)));
    }));
}
