/**
 * What a hostile client controls is bounded (issue: an independent probe's findings), against a real
 * server on loopback: the front door, the app, a real image model decoding on the worker pool and a real
 * tabular model. Seeded and bounded in count and time. Checks: decompression bombs and huge batches are
 * refused before any work (413), deep nesting at once (400); /ready answers within 100 ms at the 95th
 * percentile (every sample within 1 s) while image requests decode; the process's memory returns under a
 * stated bound after them;
 * random methods do not grow /metrics; slow headers and idle connections are closed; past the
 * connection and in-flight limits a request gets 503 with Retry-After; odd values follow one rule
 * (a non-finite output is 400, JSON true is not a number, `__proto__` is an ignored column like any
 * other). No other response is a 5xx.
 */
import assert from "node:assert/strict";
import { useBackend } from "../backend/choose.ts";
import { autoDecodeWorkers, createImageDecodePool } from "../inference/image_decode_pool.ts";
import { createRng } from "../random.ts";
import { loadPredictor } from "../runs/load_predictor.ts";
import { serveAppGuarded } from "./serve_app.ts";
import { drawPattern, encodeImage } from "../../testing/image_fixtures.ts";
import { writePetsVersion } from "../../testing/image_version.ts";
import { createTestApp } from "../../testing/server_app.ts";
import { trainToyModels } from "../../testing/trained_models.ts";

await useBackend("cpu");

const LIMITS = {
  max_in_flight: 8,
  max_connections: 48,
  max_images: 64,
  max_rows: 1000,
  max_image_pixels: 4 * 1024 * 1024,
  max_request_pixels: 16 * 1024 * 1024,
  header_timeout_ms: 800,
  idle_timeout_ms: 800,
};
/** How much the process may grow over the image storm and still count as having given memory back. */
const RSS_BOUND_BYTES = 400 * 1024 * 1024;

/** A 1,150-byte JPEG whose header claims `w` x `h` pixels (SOF0), and nothing to decode. */
function jpegBomb(w: number, h: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(1150);
  bytes.set([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, h >> 8, h & 255, w >> 8, w & 255, 0x03]);
  bytes.set([0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00], 12);
  return bytes;
}

const b64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

Deno.test("hardening: bombs, huge batches, slow clients and floods leave the server answering, 0 x 5xx", async (t) => {
  const image = await writePetsVersion(1);
  const toy = await trainToyModels({ seeds: [1] });
  // As "auto" chooses on this 2-core machine: one core for decoding, one for the event loop.
  const pool = createImageDecodePool({ workers: autoDecodeWorkers(), queue: 64 });
  const pets = await loadPredictor(image, {
    providers: ["cpu"],
    imageDecoding: { pool, maxPixels: LIMITS.max_image_pixels },
  });
  const tab = await loadPredictor((await toy.registry.list())[0], { providers: ["cpu"] });
  const { app, config } = createTestApp({
    predictors: [pets, tab],
    serving: { request_timeout_ms: 20_000, limits: LIMITS },
  });
  const server = await serveAppGuarded(app, { port: 0, limits: config.limits });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const statuses: number[] = [];
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    statuses.push(res.status);
    return { status: res.status, json: await res.json().catch(() => null), headers: res.headers };
  };
  const rng = createRng(20261206);
  const photo = await encodeImage(drawPattern("circle", 1024, 1024, rng), "png_rgb");
  try {
    await t.step("bombs and huge batches are refused before any work", async () => {
      const t0 = performance.now();
      const bomb = await post("/predict/image", {
        model: "pets",
        images: Array(4).fill(b64(jpegBomb(8000, 8000))),
      });
      assert.equal(bomb.status, 413);
      assert.match(
        bomb.json.error.message,
        /images\[0\]: 8000x8000 is 64000000 pixels, over the .*max_image_pixels/,
      );
      const many = await post("/predict/image", {
        model: "pets",
        images: Array(32).fill(b64(jpegBomb(2000, 2000))),
      });
      assert.equal(many.status, 413);
      assert.match(many.json.error.message, /max_request_pixels/);
      const tooMany = await post("/predict/image", { model: "pets", images: Array(65).fill(b64(photo)) });
      assert.equal(tooMany.status, 413);
      const batch = await post("/v2/models/pets/infer", {
        inputs: [{ name: "input", shape: [300, 9, 9, 3], datatype: "FP32", data: Array(300 * 243).fill(0) }],
      });
      assert.equal(batch.status, 413);
      assert.match(batch.json.error, /inputs\[0\]\.shape\[0\]: expected at most 64 per request/);
      const rows = await post("/predict/tabular", {
        model: "toy",
        instances: Array(1001).fill({ x1: 1, x2: 2, color: "red" }),
      });
      assert.equal(rows.status, 413);
      const deep = await post("/predict/tabular", "[".repeat(200_000) + "]".repeat(200_000));
      assert.equal(deep.status, 400);
      assert.match(deep.json.error.message, /nests deeper than 32 levels/);
      const form = new FormData();
      form.set("model", "pets");
      for (let i = 0; i < 65; i++) form.append("file", new Blob([jpegBomb(10, 10)]), `${i}.jpg`);
      const files = await fetch(base + "/predict/image", { method: "POST", body: form });
      statuses.push(files.status);
      assert.equal(files.status, 413);
      await files.body?.cancel();
      assert.ok(performance.now() - t0 < 5000, `refusals took ${performance.now() - t0} ms`);
    });

    await t.step("/ready answers within 100 ms at p95 while image requests decode", async () => {
      const rssBefore = Deno.memoryUsage().rss;
      const images = Array(8).fill(b64(photo));
      let done = false;
      const samples: number[] = [];
      const sampler = (async () => {
        while (!done) {
          const t0 = performance.now();
          const res = await fetch(base + "/ready");
          await res.body?.cancel();
          samples.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      let answers;
      try {
        answers = await Promise.all(
          Array.from({ length: 6 }, () => post("/predict/image", { model: "pets", images })),
        );
      } finally {
        done = true;
        await sampler; // not left running into the next step when a request fails
      }
      assert.deepEqual(answers.map((a) => a.status), Array(6).fill(200));
      assert.ok(samples.length >= 5, `only ${samples.length} samples`);
      const sorted = samples.toSorted((a, b) => a - b);
      const p95 = sorted[Math.ceil(sorted.length * 0.95) - 1], worst = sorted[sorted.length - 1];
      console.error(
        `/ready during 6 x 8 decodes of 1024x1024: ${samples.length} samples, p95 ${p95.toFixed(1)} ms, ` +
          `worst ${worst.toFixed(1)} ms`,
      );
      // The 95th percentile, not the worst sample: with the suite running two files on two cores, one
      // sample in 133 took 114 ms from CPU contention alone. Decoding on the event loop instead of the
      // workers leaves the sampler one or two samples, each behind a request's decodes.
      assert.ok(p95 < 100, `/ready took ${p95.toFixed(1)} ms at the 95th percentile`);
      assert.ok(worst < 1000, `/ready took ${worst.toFixed(1)} ms`);
      await new Promise((r) => setTimeout(r, 500));
      const grown = Deno.memoryUsage().rss - rssBefore;
      console.error(
        `RSS grew ${(grown / 1e6).toFixed(0)} MB over the image storm (bound ${RSS_BOUND_BYTES / 1e6} MB)`,
      );
      assert.ok(grown < RSS_BOUND_BYTES, `RSS grew by ${grown} bytes`);
    });

    await t.step("odd values follow one rule on every route", async () => {
      const huge = await post("/v2/models/pets/infer", {
        inputs: [{ name: "input", shape: [1, 9, 9, 3], datatype: "FP32", data: Array(243).fill(3.4e38) }],
      });
      assert.equal(huge.status, 400);
      assert.match(huge.json.error, /not finite|is NaN|is Infinity|-Infinity|beyond what the model computes/);
      const truthy = await post("/predict/tabular", {
        model: "toy",
        instances: [{ x1: true, x2: 1, color: "red" }],
      });
      assert.equal(truthy.status, 400);
      const proto = await post(
        "/predict/tabular",
        '{"model": "toy", "instances": [{"x1": 1, "x2": 2, "color": "red", "__proto__": 5}]}',
      );
      assert.equal(proto.status, 200);
      assert.deepEqual(proto.json.ignored_columns, ["__proto__"]);
    });

    await t.step("random method names do not grow /metrics", async () => {
      const lines = async () => (await (await fetch(base + "/metrics")).text()).split("\n").length;
      await fetch(base + "/health", { method: "XGET0" }).then((r) => r.body?.cancel());
      await lines();
      const before = await lines();
      for (let i = 0; i < 100; i++) {
        const res = await fetch(base + "/health", { method: `M${rng.int(1e9)}` });
        statuses.push(res.status);
        await res.body?.cancel();
      }
      assert.equal(await lines(), before);
    });

    await t.step(
      "slow headers and idle connections are closed; past the connection limit, 503 + Retry-After",
      async () => {
        const closedWithin = async (conn: Deno.Conn, ms: number, drip?: Uint8Array) => {
          const t0 = performance.now();
          const reading = conn.read(new Uint8Array(64)).catch(() => null);
          let i = 0;
          while (drip && i < drip.length && performance.now() - t0 < ms) {
            await conn.write(drip.subarray(i, ++i)).catch(() => {});
            const r = await Promise.race([reading, new Promise((r) => setTimeout(() => r("wait"), 150))]);
            if (r !== "wait") break;
          }
          const result = await Promise.race([reading, new Promise((r) => setTimeout(() => r("open"), ms))]);
          conn.close();
          return result === null && performance.now() - t0 < ms;
        };
        const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
        assert.ok(
          await closedWithin(
            slow,
            3000,
            new TextEncoder().encode("GET /health HTTP/1.1\r\nHost: x\r\nX-A: b\r\n"),
          ),
        );
        const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
        assert.ok(await closedWithin(idle, 3000));
        const held = await Promise.all(
          Array.from(
            { length: LIMITS.max_connections },
            () => Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }),
          ),
        );
        await new Promise((r) => setTimeout(r, 100));
        const extra = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
        const buf = new Uint8Array(512);
        const n = await extra.read(buf);
        const text = new TextDecoder().decode(buf.subarray(0, n ?? 0));
        assert.match(text, /^HTTP\/1\.1 503 /);
        assert.match(text, /retry-after: 1/i);
        extra.close();
        for (const c of held) c.close();
        await new Promise((r) => setTimeout(r, 200));
      },
    );

    await t.step(
      "past max_in_flight a request gets 503 with Retry-After, and the rest are answered",
      async () => {
        const images = Array(4).fill(b64(photo));
        const answers = await Promise.all(Array.from({ length: 24 }, async () => {
          const res = await fetch(base + "/predict/image", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ model: "pets", images }),
          });
          await res.body?.cancel();
          return { status: res.status, retry: res.headers.get("retry-after") };
        }));
        const shed = answers.filter((a) => a.status === 503);
        assert.ok(shed.length > 0, "nothing was shed");
        assert.ok(shed.every((a) => a.retry === "1"));
        assert.ok(answers.every((a) => a.status === 200 || a.status === 503), JSON.stringify(answers));
        const ready = await fetch(base + "/ready");
        assert.equal(ready.status, 200);
        await ready.body?.cancel();
      },
    );

    const fiveHundreds = statuses.filter((s) => s >= 500);
    assert.deepEqual(fiveHundreds, [], `5xx answers: ${fiveHundreds.join(", ")}`);
  } finally {
    await server.shutdown();
    pool.close();
    await pets.close();
    await tab.close();
    await toy.cleanup();
    await Deno.remove(image.dir, { recursive: true });
  }
});
