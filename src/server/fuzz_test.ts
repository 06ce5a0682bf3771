import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import { type FuzzKind, type FuzzRequest, malformedRequest } from "../../testing/malformed_requests.ts";
import { serveApp } from "./serve_app.ts";
import { createTestApp } from "../../testing/server_app.ts";
import { createLinearPredictor } from "../../testing/server_predictor.ts";

const SEED = 20240611;
const REQUESTS = 1200;
const CONCURRENCY = 8;
const MAX_BODY_BYTES = 64 * 1024;

/** Kinds that are malformed by construction; random type swaps and odd paths may happen to be valid. */
const MUST_FAIL = new Set<FuzzKind>([
  "bad_json",
  "deep_nesting",
  "missing_field",
  "unknown_field",
  "wrong_shape",
  "oversize",
  "content_type",
  "random_bytes",
  "multipart",
]);

type Outcome = { status: number; body?: unknown } | { status: "no_response"; why: string };

/** Writes raw bytes and reads the status line of the answer (if any) within two seconds. */
async function sendRaw(port: number, raw: Uint8Array): Promise<Outcome> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await conn.write(raw).catch(() => {});
    // Half-close so a body shorter than its Content-Length ends instead of waiting forever.
    await conn.closeWrite().catch(() => {});
    const buf = new Uint8Array(4096);
    let text = "";
    const read = (async () => {
      for (;;) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) return;
        text += new TextDecoder().decode(buf.subarray(0, n));
        if (text.includes("\r\n")) return;
      }
    })();
    await Promise.race([read, new Promise((r) => timer = setTimeout(r, 2000))]);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
    return m
      ? { status: Number(m[1]) }
      : { status: "no_response", why: text ? `unparsed: ${text.slice(0, 40)}` : "closed" };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* already closed by the server */ }
  }
}

async function send(base: string, port: number, req: FuzzRequest): Promise<Outcome> {
  if (req.raw) return await sendRaw(port, req.raw);
  const body = typeof req.body === "function" ? req.body() : req.body;
  try {
    const res = await fetch(base + req.path, { method: req.method, headers: req.headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch { /* checked by the caller */ }
    return { status: res.status, body: json };
  } catch (err) {
    return { status: "no_response", why: err instanceof Error ? err.message : String(err) };
  }
}

/** Error bodies: `{"error": "..."}` under /v2, `{"error": {"code", "message"}}` elsewhere. */
function errorShapeProblem(path: string, body: unknown): string | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (path.startsWith("/v2")) {
    return typeof error === "string" && error.length > 0 ? undefined : "v2 error is not a string";
  }
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return typeof e?.code === "string" && typeof e.message === "string" && e.message.length > 0
    ? undefined
    : "error lacks code/message";
}

Deno.test("fuzz: 1,200 seeded malformed requests against a running server get no 5xx, and it stays ready", async () => {
  const { app, logger } = createTestApp({
    predictors: [
      createLinearPredictor(),
      createLinearPredictor({ name: "pets", task: "image", classes: ["cat", "dog"] }),
    ],
    serving: { max_body_bytes: MAX_BODY_BYTES, request_timeout_ms: 10_000, batching: { max_wait_ms: 2 } },
  });
  const server = serveApp(app, { port: 0 });
  const port = server.addr.port;
  const base = `http://127.0.0.1:${port}`;
  const rng = createRng(SEED);
  const requests = Array.from(
    { length: REQUESTS },
    () => malformedRequest(rng, { maxBodyBytes: MAX_BODY_BYTES }),
  );
  const problems: string[] = [];
  const byKind = new Map<string, Map<string, number>>();
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const i = next++;
        const req = requests[i];
        const out = await send(base, port, req);
        const tally = byKind.get(req.kind) ?? new Map<string, number>();
        tally.set(String(out.status), (tally.get(String(out.status)) ?? 0) + 1);
        byKind.set(req.kind, tally);
        const label = `#${i} ${req.kind} ${req.method} ${req.path.slice(0, 60)}`;
        if (out.status === "no_response") {
          // Only broken HTTP framing may end without an answer (the HTTP layer drops the connection).
          if (req.kind !== "raw_http") problems.push(`${label}: no response (${out.why})`);
          continue;
        }
        if (out.status >= 500) problems.push(`${label}: ${out.status} ${JSON.stringify(out.body)}`);
        if (req.kind === "valid" && out.status !== 200) {
          problems.push(`${label}: valid request got ${out.status}`);
        }
        if (MUST_FAIL.has(req.kind) && out.status < 400) {
          problems.push(`${label}: malformed request accepted with ${out.status}`);
        }
        if (req.kind !== "raw_http" && out.status >= 400) {
          const shape = errorShapeProblem(req.path, out.body);
          if (shape) problems.push(`${label}: ${shape}: ${JSON.stringify(out.body)}`);
        }
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const summary = [...byKind].map(([k, t]) => `${k}: ${[...t].map(([s, n]) => `${s}x${n}`).join(" ")}`)
      .join("\n");
    assert.deepEqual(problems, [], `problems:\n${problems.slice(0, 20).join("\n")}\n\nby kind:\n${summary}`);
    assert.ok(byKind.size >= 14, `every kind of request was tried:\n${summary}`);

    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 200, "still ready after the fuzz");
    await ready.body?.cancel();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.doesNotMatch(metrics, /status="5\d\d"/, "no 5xx counted in the server's own metrics");
    assert.equal(
      logger.lines.filter((l) => JSON.parse(l).level === "error").length,
      0,
      "nothing logged as a server fault",
    );
    const ok = await fetch(`${base}/predict/tabular`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "iris",
        instances: [{ sepal_length: 5, sepal_width: 3, petal_length: 1, petal_width: 0 }],
      }),
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.ok(seconds < 20, `the fuzz took ${seconds.toFixed(1)} s`);
  } finally {
    await server.shutdown();
  }
});
