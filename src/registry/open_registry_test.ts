import assert from "node:assert/strict";
import { join } from "node:path";
import { createFileRegistry } from "./file_registry.ts";
import { isPostgresUrl, openRegistry } from "./open_registry.ts";
import {
  entries,
  PG_SKIP,
  PG_TEST_URL,
  pgTestName,
  POSTGRES_BACKEND,
  rejectsWith,
  sampleMeta,
  withTempDir,
  writeArtifacts,
} from "../../testing/registry_support.ts";

Deno.test("openRegistry keeps a folder's metadata in FOLDER/registry.db across opens", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "models");
    const reg = await openRegistry(root, { clock: () => new Date("2024-05-01T12:00:00Z") });
    const v1 = await reg.register("penguins", sampleMeta(), writeArtifacts("a"));
    await reg.close();
    const names = await entries(root);
    assert.ok(names.includes("registry.db") && names.includes("penguins"), `${names}`);
    const again = await openRegistry(root);
    try {
      assert.deepEqual(await again.list(), [v1]);
      assert.equal(v1.meta.created, "2024-05-01T12:00:00.000Z");
    } finally {
      await again.close();
    }
  });
});

Deno.test("openRegistry reads a missing folder as empty without creating it", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "modles");
    const reg = await openRegistry(root);
    try {
      assert.deepEqual(await reg.list(), []);
      await rejectsWith(reg.resolve("penguins"), "model_not_found", /holds no models/);
      assert.deepEqual(await entries(dir), []);
      assert.equal((await reg.register("penguins", sampleMeta(), writeArtifacts("a"))).meta.version, 1);
      assert.deepEqual(await entries(dir), ["modles"]);
    } finally {
      await reg.close();
    }
  });
});

Deno.test("openRegistry imports a folder registry's versions and stays readable by it", async () => {
  await withTempDir(async (root) => {
    const old = createFileRegistry(root);
    await old.register("penguins", sampleMeta({ "val.macro_f1": 0.9 }), writeArtifacts("a"));
    await old.register("penguins", sampleMeta({ "val.macro_f1": 0.8 }), writeArtifacts("b"));
    await old.setStages("penguins", 1, ["production"]);
    await old.setTags("penguins", 2, ["baseline"]);
    // A folder a crashed folder-registry writer left: its number must not be reused.
    await Deno.mkdir(join(root, "penguins", "v3"));
    const before = await old.list();

    const reg = await openRegistry(root);
    try {
      assert.deepEqual(await reg.list(), before);
      assert.equal((await reg.resolve("penguins@production")).meta.version, 1);
      assert.equal((await reg.resolve("penguins@best")).meta.version, 1);
      assert.deepEqual((await reg.resolve("penguins@2")).meta.tags, ["baseline"]);
      for (const v of await reg.list()) await reg.verify(v);
      const v4 = await reg.register("penguins", sampleMeta(), writeArtifacts("c"));
      assert.equal(v4.meta.version, 4);
      await reg.setStages("penguins", 4, ["production"], { exclusive: true });
      // meta.json mirrors the rows, so a reader still on the folder registry sees the same registry.
      const mirrored = await old.list("penguins");
      assert.deepEqual(mirrored.map((v) => [v.meta.version, v.meta.stages]), [[1, []], [2, []], [4, [
        "production",
      ]]]);
    } finally {
      await reg.close();
    }
    // Importing happens once: a second open finds the rows, not the folders.
    const again = await openRegistry(root);
    try {
      assert.deepEqual((await again.list()).map((v) => v.meta.version), [1, 2, 4]);
    } finally {
      await again.close();
    }
  });
});

Deno.test("openRegistry tells folders from postgres URLs and names an unreachable server without its password", async () => {
  assert.ok(isPostgresUrl("postgres://u@db/x") && isPostgresUrl("postgresql://u@db/x"));
  assert.ok(!isPostgresUrl("models") && !isPostgresUrl("/srv/postgres/models"));
  await assert.rejects(
    openRegistry("postgres://mmml:s3cret@127.0.0.1:1/mmml", { artifacts: "/tmp/x", connectTimeoutMs: 2000 }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, "backend_unavailable");
      assert.match(e.message, /postgres:\/\/mmml:\*\*\*@127\.0\.0\.1:1\/mmml/);
      assert.doesNotMatch(e.message, /s3cret/);
      return true;
    },
  );
  await rejectsWith(
    openRegistry("postgres://mmml@127.0.0.1:1/mmml?schema=Bad-Name", { artifacts: "/tmp/x" }),
    "invalid_input",
    /schema .*received "Bad-Name"/,
  );
});

Deno.test({
  name: pgTestName("openRegistry on a postgres URL needs an artifacts folder once, then remembers it"),
  ignore: PG_SKIP !== null,
  fn: () =>
    withTempDir(async (dir) => {
      const { options } = POSTGRES_BACKEND.place(dir);
      const url = `${PG_TEST_URL}?schema=${options.schema}`;
      try {
        await rejectsWith(openRegistry(url), "config_invalid", /registry\.artifacts.*received nothing/);
        const first = await openRegistry(url, { artifacts: join(dir, "shared") });
        const v1 = await first.register("penguins", sampleMeta(), writeArtifacts("a"));
        await first.close();
        assert.equal(v1.dir, join(dir, "shared", "penguins", "v1"));
        const second = await openRegistry(url);
        try {
          assert.deepEqual(await second.list(), [v1]);
        } finally {
          await second.close();
        }
        // A SQLite registry in the same folder would sweep the other's versions: refused.
        await rejectsWith(openRegistry(join(dir, "shared")), "config_invalid", /belongs to another registry/);
      } finally {
        await POSTGRES_BACKEND.cleanup(dir);
      }
    }),
});
