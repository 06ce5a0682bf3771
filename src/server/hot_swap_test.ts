/**
 * Issue 5's "done means" for serving: a promoted version reaches a running server within a few seconds
 * while a load runs, with zero failed requests. Real trained models, ONNX Runtime predictors, the real
 * SQLite registry and a real port; the load is bounded (a few workers on loopback for about 2 s).
 */
import { loadPredictor } from "../runs/load_predictor.ts";
import assert from "node:assert/strict";
import { ServingConfig } from "../config/schema.ts";
import type { Predictor } from "../inference/predictor_types.ts";
import { createMemoryLogger } from "../log.ts";
import { startServer } from "./start_server.ts";
import { trainToyModels } from "../../testing/trained_models.ts";

const WORKERS = 8;
const WATCH_MS = 100;
/**
 * Added before each real prediction, as a heavier model would take: the toy model answers in well under
 * a millisecond, which leaves almost no request in flight at the moment of the switch. With this, every
 * worker's request is in flight on the old version when it is retired, so closing it early would fail them.
 */
const MODEL_LATENCY_MS = 15;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The real predictor, each call delayed by `ms` first (so the close of a version in use shows up). */
function withLatency(p: Predictor, ms: number): Predictor {
  return {
    get name() {
      return p.name;
    },
    get version() {
      return p.version;
    },
    get meta() {
      return p.meta;
    },
    get provider() {
      return p.provider;
    },
    get takes() {
      return p.takes;
    },
    extraColumns: (rows) => p.extraColumns(rows),
    get loadSeconds() {
      return p.loadSeconds;
    },
    predictRows: async (rows) => (await sleep(ms), await p.predictRows(rows)),
    predictImages: async (images) => (await sleep(ms), await p.predictImages(images)),
    infer: async (inputs) => (await sleep(ms), await p.infer(inputs)),
    inputs: () => p.inputs(),
    outputs: () => p.outputs(),
    close: () => p.close(),
  };
}

interface Sample {
  at: number;
  status: number;
  version?: number;
  error?: string;
}

Deno.test("a promoted version is served within seconds under load, with zero failed requests", async () => {
  const trained = await trainToyModels({ seeds: [1, 2] });
  const { registry, rows } = trained;
  await registry.setStages("toy", 1, ["production"], { exclusive: true });
  const logger = createMemoryLogger("info");
  const config = ServingConfig.parse({ port: 0, providers: ["cpu"] });
  const started = await startServer({
    config,
    registry,
    logger,
    refs: ["toy@production"],
    load: async (v) => withLatency(await loadPredictor(v, { providers: ["cpu"], logger }), MODEL_LATENCY_MS),
    watchIntervalMs: WATCH_MS,
  });
  const base = `http://127.0.0.1:${started.server.addr.port}`;
  try {
    assert.deepEqual(await started.loaded, []);
    const samples: Sample[] = [];
    let stop = false;
    const t0 = performance.now();
    // Half the workers use the simple API (through the batcher), half OIP v2 infer (straight to ORT).
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const row = rows[(w + i) % rows.length];
        let res: Response;
        try {
          res = w % 2 === 0
            ? await fetch(`${base}/predict/tabular`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ model: "toy", instances: [row] }),
            })
            : await fetch(`${base}/v2/models/toy/infer`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({
                inputs: [
                  { name: "numeric", shape: [1, 2], datatype: "FP32", data: [row.x1, row.x2 ?? 1] },
                  {
                    name: "categorical",
                    shape: [1, 3],
                    datatype: "FP32",
                    data: ["blue", "green", "red"].map((c) => c === row.color ? 1 : 0),
                  },
                ],
              }),
            });
        } catch (err) {
          samples.push({ at: performance.now() - t0, status: 0, error: String(err) });
          continue;
        }
        const body = await res.json();
        const version = body.version ?? (body.model_version ? Number(body.model_version) : undefined);
        samples.push({
          at: performance.now() - t0,
          status: res.status,
          version,
          error: res.ok ? undefined : JSON.stringify(body),
        });
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

    await new Promise((r) => setTimeout(r, 500));
    const promotedAt = performance.now() - t0;
    await registry.setStages("toy", 2, ["production"], { exclusive: true });
    const deadline = performance.now() + 5000;
    while (!samples.some((s) => s.version === 2) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // Keep the load on past the switch, while the old version drains and closes.
    await new Promise((r) => setTimeout(r, 700));
    stop = true;
    await load;

    const failed = samples.filter((s) => s.status !== 200);
    assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${samples.length} requests failed`);
    assert.ok(samples.length > 50, `only ${samples.length} requests ran`);
    const before = samples.filter((s) => s.at < promotedAt);
    assert.ok(before.length > 0 && before.every((s) => s.version === 1), "version 1 answered before");
    const firstNew = samples.find((s) => s.version === 2);
    assert.ok(firstNew, "version 2 never answered");
    const switchMs = firstNew.at - promotedAt;
    assert.ok(switchMs < 3000, `switch took ${switchMs.toFixed(0)} ms`);
    const lastOld = Math.max(...samples.filter((s) => s.version === 1).map((s) => s.at));
    const tail = samples.filter((s) => s.at > lastOld);
    assert.ok(
      tail.length > 20 && tail.every((s) => s.version === 2),
      "only version 2 answers after the switch",
    );
    console.log(
      `hot swap: ${samples.length} requests, 0 failed, switch seen ${
        switchMs.toFixed(0)
      } ms after promotion ` +
        `(watch interval ${WATCH_MS} ms), last v1 answer ${
          (lastOld - firstNew.at).toFixed(0)
        } ms after first v2`,
    );

    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^mmml_model_swaps_total\{model="toy"\} 1$/m);
    assert.match(
      metrics,
      /^mmml_model_info\{model="toy",version="2",provider="cpu",.*refs="toy@production"\} 1$/m,
    );
    assert.doesNotMatch(metrics, /^mmml_model_info\{model="toy",version="1"/m);
    const models = await (await fetch(`${base}/models`)).json();
    assert.deepEqual(models.models.map((m: { version: number }) => m.version), [2]);
    assert.deepEqual(
      models.swaps.map((e: { ref: string; from: number; to: number }) => [e.ref, e.from, e.to]),
      [
        ["toy@production", 1, 2],
      ],
    );
    const logged = logger.lines.map((l) => JSON.parse(l));
    assert.ok(logged.some((l) => l.msg === "model switched" && l.from === 1 && l.to === 2));
    assert.ok(
      logged.some((l) =>
        l.msg === "previous version closed after its requests finished" && l.model === "toy@1"
      ),
      "the old version was closed once drained",
    );
  } finally {
    await started.server.shutdown();
    await started.close();
    await trained.cleanup();
  }
});
