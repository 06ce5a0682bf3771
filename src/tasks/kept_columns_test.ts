import assert from "node:assert/strict";
import { jsonValue } from "./kept_columns.ts";
import { TASKS } from "./tasks.ts";
import type { TrainedModel } from "./trained_model.ts";

Deno.test("a kept cell is a number only when its text is that number's own spelling", () => {
  assert.equal(jsonValue("17"), 17);
  assert.equal(jsonValue("-0.5"), -0.5);
  assert.equal(jsonValue("007"), "007");
  assert.equal(jsonValue("1e5"), "1e5");
  assert.equal(jsonValue("12345678901234567890"), "12345678901234567890");
  assert.equal(jsonValue("A-17"), "A-17");
  assert.equal(jsonValue(null), null);
});

Deno.test("an image model refuses standard input and --keep-columns with what it reads instead", async () => {
  const model = {} as TrainedModel;
  await assert.rejects(
    TASKS.image.predict(model, "stdin", { content: new Uint8Array([1]) }),
    /an image model reads image files: pass a file or folder, not -/,
  );
  await assert.rejects(
    TASKS.image.predict(model, "x.png", { keepColumns: ["id"] }),
    /--keep-columns copies table columns/,
  );
});
