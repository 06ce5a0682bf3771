/**
 * A full disk is exit 2 naming the path and the bytes, not "internal error": trains onto a 2 MB tmpfs
 * (mounted here when the tests run as root and may mount; skipped with the reason otherwise).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../../../testing/cli.ts";

async function mountTmpfs(dir: string, size: string): Promise<string | null> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return "needs root on Linux to mount a small tmpfs";
  try {
    const out = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir] })
      .output();
    return out.success ? null : `mount failed: ${new TextDecoder().decode(out.stderr).trim()}`;
  } catch (err) {
    return `mount failed: ${(err as Error).message}`;
  }
}

const dir = await Deno.makeTempDir({ prefix: "mmml_disk_full_" });
const skip = await mountTmpfs(dir, "2m");
if (skip) await Deno.remove(dir, { recursive: true });

Deno.test({
  name: `training onto a full disk is exit 2 naming the path and the bytes${
    skip ? ` (skipped: ${skip})` : ""
  }`,
  ignore: skip !== null,
  async fn() {
    try {
      const run = await cli([
        "train",
        "--registry",
        join(dir, "models"),
        "--epochs",
        "1",
        "--set",
        "model.hidden=[1024,1024]",
        "--set",
        "training.progress=false",
      ]);
      assert.equal(run.code, 2, run.stderr);
      const line = run.stderr.split("\n").find((l) => l.startsWith("mmml: "));
      assert.match(
        line ?? "",
        /^mmml: no space left on the device holding .*\/models\/.* \(writing \d+\.\d MB\): free space/,
      );
      assert.doesNotMatch(run.stderr, /internal error/);
    } finally {
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
