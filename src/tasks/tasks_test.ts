import assert from "node:assert/strict";
import { join } from "node:path";
import { MmmlConfig, TASK_NAMES } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import { detectTask, taskRules, TASKS } from "./tasks.ts";

const configFor = (path: string) => MmmlConfig.parse({ data: { path } });

Deno.test("the task table covers every task name, and an unknown one is refused naming it", () => {
  assert.deepEqual(Object.keys(TASKS), [...TASK_NAMES]);
  for (const name of TASK_NAMES) assert.equal(taskRules(name).name, name);
  assert.throws(
    () => taskRules("audio", "x@1"),
    (e) => e instanceof MmmlError && e.code === "unsupported" && /x@1 is a "audio" model/.test(e.message),
  );
});

Deno.test("detectTask: a file is tabular, an image folder is image, a folder of CSVs names a file to use", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_detect_" });
  try {
    const images = new URL("../../fixtures/images/flat", import.meta.url).pathname;
    assert.equal((await detectTask(configFor(images))).name, "image");
    await Deno.writeTextFile(join(dir, "b.csv"), "x,y\n1,a\n");
    await Deno.writeTextFile(join(dir, "a.csv"), "x,y\n1,a\n");
    assert.equal((await detectTask(configFor(join(dir, "a.csv")))).name, "tabular");
    await assert.rejects(
      detectTask(configFor(dir)),
      (e) =>
        e instanceof MmmlError && e.code === "usage" &&
        e.message === `--data ${dir} is a folder of data files (a.csv, b.csv), not an image folder (class ` +
            `subfolders of PNG or JPEG files); train on one file: --data ${join(dir, "a.csv")}`,
    );
    await assert.rejects(
      detectTask(configFor(join(dir, "nope"))),
      (e) => e instanceof MmmlError && e.code === "file_not_found",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
