import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../../../testing/cli.ts";

Deno.test("mmml serve on a busy port exits 2 naming the port and suggesting --port", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_serve_busy_" });
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const run = await cli(["serve", "--port", String(port), "--registry", join(dir, "models")]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`^mmml: Cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`, "m"),
    );
    assert.match(run.stderr, /--port 0 picks a free one/);
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true });
  }
});
