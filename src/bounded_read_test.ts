import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileBounded } from "./bounded_read.ts";
import { loadConfigFile } from "./config/load_config.ts";

Deno.test("only regular files within the limit are read; devices, pipes and folders are named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "a.yaml");
    await Deno.writeTextFile(file, "x: 1\n");
    assert.equal((await readFileBounded(file, { what: "config", maxBytes: 10 })).length, 5);
    await assert.rejects(
      readFileBounded(file, { what: "config", maxBytes: 4 }),
      /it is 5 bytes, over the 4 bytes limit/,
    );
    await assert.rejects(readFileBounded(dir, { what: "config", maxBytes: 10 }), /received a folder/);
    await assert.rejects(readFileBounded("/dev/zero", { what: "config", maxBytes: 10 }), /received a device/);
    const fifo = join(dir, "pipe");
    if ((await new Deno.Command("mkfifo", { args: [fifo] }).output().catch(() => null))?.success) {
      await assert.rejects(readFileBounded(fifo, { what: "config", maxBytes: 10 }), /received a pipe/);
    }
    await assert.rejects(
      readFileBounded(join(dir, "none"), { what: "config", maxBytes: 10 }),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a config that is some other text file is refused without echoing its contents", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "passwd"), "root:x:0:0:root:/root:/bin/bash\n");
    await Deno.writeTextFile(join(dir, "passwd.json"), "root:x:0:0:root:/root:/bin/bash\n");
    for (const name of ["passwd", "passwd.json"]) {
      await assert.rejects(loadConfigFile(name, { cwd: dir }), (e: Error) => !e.message.includes("root:x"));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
