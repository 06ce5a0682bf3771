import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { serveApp, stopOnSignals } from "./serve_app.ts";
import { createTestApp } from "../../testing/server_app.ts";
import { createLinearPredictor } from "../../testing/server_predictor.ts";

const row = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
const predictBody = JSON.stringify({ model: "iris", instances: [row] });
const post = (url: string, body: BodyInit) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });

Deno.test("serveApp answers over a real port, and refuses oversize bodies by length and by counting", async () => {
  const { app } = createTestApp({ predictors: [createLinearPredictor()], serving: { max_body_bytes: 4096 } });
  let announced: Deno.NetAddr | undefined;
  const server = serveApp(app, { port: 0, onListen: (addr) => announced = addr });
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    assert.equal(announced?.port, server.addr.port);
    const health = await fetch(`${base}/health`);
    assert.equal((await health.json()).status, "ok");
    const res = await post(`${base}/predict/tabular`, predictBody);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).predictions.length, 1);
    const big = JSON.stringify({ model: "iris", instances: Array.from({ length: 200 }, () => row) });
    const declared = await post(`${base}/predict/tabular`, big);
    assert.equal(declared.status, 413);
    assert.match((await declared.json()).error.message, /received a Content-Length of \d+ bytes/);
    const bytes = new TextEncoder().encode(big);
    const chunked = await post(
      `${base}/predict/tabular`,
      new ReadableStream({
        start(ctl) {
          for (let i = 0; i < bytes.length; i += 512) ctl.enqueue(bytes.slice(i, i + 512));
          ctl.close();
        },
      }),
    );
    assert.equal(chunked.status, 413);
    assert.match(
      (await chunked.json()).error.message,
      /limit of 4 KiB \(4096 bytes\); received more than 4096 bytes/,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveApp.shutdown stops accepting but finishes requests in flight", async () => {
  const { app } = createTestApp({ predictors: [createLinearPredictor({ delayMs: 300 })] });
  const server = serveApp(app, { port: 0 });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const inFlight = post(`${base}/predict/tabular`, predictBody);
  await new Promise((r) => setTimeout(r, 80));
  const stopped = server.shutdown();
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.equal((await res.json()).predictions[0].label.length > 0, true);
  await stopped;
  await assert.rejects(fetch(`${base}/health`));
});

Deno.test("stopOnSignals drains on SIGTERM and resolves with the signal", async () => {
  const { app, pool } = createTestApp({ predictors: [createLinearPredictor({ delayMs: 200 })] });
  const server = serveApp(app, { port: 0 });
  const stopped = stopOnSignals(server, { signals: ["SIGTERM"] });
  const inFlight = post(`http://127.0.0.1:${server.addr.port}/predict/tabular`, predictBody);
  await new Promise((r) => setTimeout(r, 50));
  Deno.kill(Deno.pid, "SIGTERM");
  assert.equal(await stopped, "SIGTERM");
  assert.equal((await inFlight).status, 200, "the request in flight was answered before the server stopped");
  await server.finished;
  await pool.close();
});

Deno.test("serveApp stops gracefully when its AbortSignal fires, and stopOnSignals can be cancelled", async () => {
  const { app } = createTestApp({ predictors: [createLinearPredictor({ delayMs: 100 })] });
  const abort = new AbortController();
  const server = serveApp(app, { port: 0, signal: abort.signal });
  const cancel = new AbortController();
  const watching = stopOnSignals(server, { signals: ["SIGINT"], cancel: cancel.signal });
  const inFlight = post(`http://127.0.0.1:${server.addr.port}/predict/tabular`, predictBody);
  await new Promise((r) => setTimeout(r, 30));
  abort.abort();
  const res = await inFlight;
  assert.equal(res.status, 200);
  await res.body?.cancel();
  await server.finished;
  cancel.abort();
  assert.equal(
    await watching,
    null,
    "a cancelled watcher resolves null and leaves no signal listener behind",
  );
});

Deno.test("serveApp on a busy port is a usage error naming the address and --port", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const { app } = createTestApp({ predictors: [createLinearPredictor()] });
    assert.throws(
      () => serveApp(app, { port }),
      (e) =>
        e instanceof MmmlError && e.code === "usage" &&
        e.message.startsWith(`Cannot listen on 127.0.0.1:${port}: the port is already in use`) &&
        e.message.includes("--port"),
    );
  } finally {
    taken.close();
  }
});
