import assert from "node:assert/strict";
import { privateRuntimeDir } from "./runtime_dir.ts";

Deno.test("privateRuntimeDir keeps a usable XDG_RUNTIME_DIR and makes a private one where there is none", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mmml_runtime_" });
  try {
    assert.equal(privateRuntimeDir({ XDG_RUNTIME_DIR: tmp }), null);
    const made = privateRuntimeDir({ TMPDIR: tmp });
    assert.equal(made, `${tmp}/mmml-runtime-${Deno.uid()}`);
    assert.equal(Deno.statSync(made!).mode! & 0o777, 0o700);
    assert.equal(privateRuntimeDir({ XDG_RUNTIME_DIR: `${tmp}/gone`, TMPDIR: tmp }), made);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
