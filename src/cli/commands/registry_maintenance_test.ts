import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../../../testing/cli.ts";
import { holdOwnerLock } from "../../registry/folder_owner.ts";

async function trainedRegistry(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mmml_maintenance_" });
  const run = await cli(["train", "--registry", dir, "--epochs", "1", "--set", "training.progress=false"]);
  assert.equal(run.code, 0, run.stderr);
  const promote = await cli(["registry", "promote", "iris@1", "--stage", "production", "--registry", dir]);
  assert.equal(promote.code, 0, promote.stderr);
  return dir;
}

Deno.test("a corrupt or emptied registry.db is named with the way back, and rebuild restores the index", async () => {
  const dir = await trainedRegistry();
  try {
    for (const broken of ["this is not sqlite", ""]) {
      await Deno.writeTextFile(join(dir, "registry.db"), broken);
      for (const suffix of ["-wal", "-shm"]) {
        await Deno.remove(join(dir, `registry.db${suffix}`)).catch(() => {});
      }
      const list = await cli(["registry", "list", "--registry", dir]);
      assert.equal(list.code, 1);
      assert.match(
        list.stderr,
        /registry\.db is not a readable registry database \((file is not a database|it is empty \(0 bytes\))\)/,
      );
      assert.match(list.stderr, new RegExp(`mmml registry rebuild --registry ${dir}`));
      assert.doesNotMatch(list.stderr, /internal error/);
      const rebuild = await cli(["registry", "rebuild", "--registry", dir, "--json"]);
      assert.equal(rebuild.code, 0, rebuild.stderr);
      assert.equal(JSON.parse(rebuild.stdout).versions, 1);
      const show = await cli(["registry", "show", "iris@production", "--registry", dir, "--json"]);
      assert.equal(show.code, 0, show.stderr);
      assert.deepEqual(JSON.parse(show.stdout).stages, ["production"]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry clean lists a dead run's work folder with how to resume it, leaves a live one, removes with --yes", async () => {
  const dir = await trainedRegistry();
  const dead = join(dir, ".work", "iris-dead"), live = join(dir, ".work", "iris-live");
  try {
    for (const d of [dead, live]) {
      await Deno.mkdir(join(d, "checkpoints"), { recursive: true });
      await Deno.writeFile(join(d, "checkpoints", "weights.bin"), new Uint8Array(5000));
    }
    await Deno.writeTextFile(join(dead, "owner.lock"), ""); // its owner died: nobody holds the lock
    const held = await holdOwnerLock(join(live, "owner.lock"));
    try {
      const list = await cli(["registry", "clean", "--registry", dir, "--json"]);
      assert.equal(list.code, 0, list.stderr);
      const out = JSON.parse(list.stdout);
      assert.deepEqual(out.leftovers.map((l: { path: string }) => l.path), [dead]);
      assert.equal(out.leftovers[0].kind, "work");
      assert.ok(out.leftovers[0].bytes >= 5000);
      assert.match(out.leftovers[0].fix, new RegExp(`mmml train --resume-dir ${dead}`));
      const doctor = JSON.parse((await cli(["doctor", "--json", "--registry", dir])).stdout);
      assert.ok(
        doctor.problems.some((p: string) => p.includes("mmml registry clean")),
        doctor.problems.join("\n"),
      );
      const clean = await cli(["registry", "clean", "--registry", dir, "--yes"]);
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stdout, /removed 1/);
      assert.equal(await Deno.stat(dead).catch(() => null), null);
      assert.ok(await Deno.stat(live));
    } finally {
      await held.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
