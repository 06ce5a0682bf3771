import assert from "node:assert/strict";
import { openFrontDoor } from "./front_door.ts";

const LIMITS = { header_timeout_ms: 200, idle_timeout_ms: 200, max_connections: 8, retry_after_s: 1 };

/** A backend that answers after `delayMs`, behind a front door with 200 ms header and idle clocks. */
function slowServer(delayMs: number) {
  const backend = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.arrayBuffer();
    await new Promise((r) => setTimeout(r, delayMs));
    return new Response("done");
  });
  const door = openFrontDoor({
    host: "127.0.0.1",
    port: 0,
    backend: backend.addr as Deno.NetAddr,
    limits: LIMITS,
  });
  return {
    url: `http://127.0.0.1:${door.addr.port}/`,
    door,
    async close() {
      door.close();
      await backend.shutdown();
    },
  };
}

Deno.test("an answer slower than the idle timeout still arrives: waiting on the server is not idling", async () => {
  const server = slowServer(700);
  try {
    const get = await fetch(server.url);
    assert.equal(await get.text(), "done");
    const post = await fetch(server.url, { method: "POST", body: "x".repeat(100_000) });
    assert.equal(await post.text(), "done");
    assert.equal(server.door.closed.idle_timeout, 0);
  } finally {
    await server.close();
  }
});

Deno.test("a keep-alive connection left idle after its answer is closed by the idle clock", async () => {
  const server = slowServer(0);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.door.addr.port });
  try {
    await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const buf = new Uint8Array(1024);
    const n = await conn.read(buf);
    assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 200/);
    const t0 = performance.now();
    const rest = await conn.read(buf).catch(() => null);
    assert.equal(rest, null);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(server.door.closed.idle_timeout, 1);
  } finally {
    try {
      conn.close();
    } catch { /* closed by the door */ }
    await server.close();
  }
});
