import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { MmmlError } from "../errors.ts";
import { createMemoryLogger } from "../log.ts";
import { createRng } from "../random.ts";
import { AUTO_ORDER, probeBackends, useBackend } from "./choose.ts";
import { probeNative } from "./probes.ts";
import { findTensorflowPackages } from "./tensorflow.ts";
import { probeWebGpu } from "./webgpu.ts";

const native = await probeNative();
const tensorflowInstalled = (await findTensorflowPackages()).some((p) => p.problem === undefined);
const webgpu = await probeWebGpu();

function seeded(shape: [number, number], seed: number): tf.Tensor2D {
  const rng = createRng(seed);
  return tf.tensor2d(Float32Array.from({ length: shape[0] * shape[1] }, () => rng.next() - 0.5), shape);
}

async function matmulOnce(): Promise<Float32Array> {
  const a = seeded([192, 160], 1), b = seeded([160, 128], 2);
  const c = tf.matMul(a, b);
  const out = await c.data() as Float32Array;
  tf.dispose([a, b, c]);
  return out;
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<MmmlError> {
  const err = await p.then(() => null, (e) => e);
  assert.ok(err instanceof MmmlError, `expected an MmmlError, got ${err}`);
  assert.equal(err.code, code);
  assert.match(err.message, pattern);
  return err;
}

Deno.test("useBackend('wasm') runs one thread with mmml's wasm kernels registered", async () => {
  const choice = await useBackend("wasm");
  assert.equal(choice.name, "wasm");
  assert.equal(choice.reason, "requested");
  assert.equal(tf.getBackend(), "wasm");
  assert.equal(choice.details.threads, 1);
  assert.ok((choice.details.kernels as string[]).includes("Conv2DBackpropFilter"));
});

Deno.test("useBackend('cpu') switches to the JavaScript backend", async () => {
  const choice = await useBackend("cpu");
  assert.deepEqual([choice.name, tf.getBackend()], ["cpu", "cpu"]);
  await useBackend("wasm");
});

Deno.test("useBackend('wasm', { threads: 2 }) runs two XNNPACK threads, agrees with one thread, and can go back", async () => {
  await useBackend("wasm");
  const single = await matmulOnce();
  const before = tf.memory().numTensors;
  const choice = await useBackend("wasm", { threads: 2 });
  assert.equal(choice.details.threads, 2);
  assert.equal(getThreadsCount(), 2);
  const threaded = await matmulOnce();
  let worst = 0;
  single.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - threaded[i]))));
  assert.ok(worst < 1e-5, `threaded matmul differs from single-threaded by ${worst}`);
  assert.equal(tf.memory().numTensors, before);
  // Asking again with the same count keeps the running build.
  assert.equal((await useBackend("wasm", { threads: 2 })).details.threads, 2);
  assert.equal((await useBackend("wasm")).details.threads, 1);
  assert.equal(getThreadsCount(), 1);
});

Deno.test("useBackend rejects a thread count outside 1..8 and threads on a backend other than native and wasm", async () => {
  await rejectsWith(useBackend("wasm", { threads: 9 }), "usage", /training\.threads: .*1 to 8.*received 9/);
  await rejectsWith(useBackend("wasm", { threads: 0 }), "usage", /received 0/);
  await rejectsWith(
    useBackend("cpu", { threads: 2 }),
    "usage",
    /native and wasm backends only.*threads 2 with backend cpu/,
  );
  await rejectsWith(
    useBackend("gpu" as "cpu"),
    "usage",
    /auto\|native\|wasm\|webgpu\|tensorflow\|cpu.*"gpu"/,
  );
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test({
  name: `useBackend('tensorflow') fails fast, naming the missing packages and \`deno task setup:gpu\`${
    tensorflowInstalled ? " (skipped: tfjs-node is installed here)" : ""
  }`,
  ignore: tensorflowInstalled,
  async fn() {
    const started = performance.now();
    const err = await rejectsWith(
      useBackend("tensorflow"),
      "backend_unavailable",
      /tensorflow backend is not available: neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node/,
    );
    assert.match(err.message, /To install: run `deno task setup:gpu`.*CUDA 11\.x and cuDNN 8/);
    // Nothing is fetched: the packages are looked for on disk before any import.
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
    assert.equal(tf.getBackend(), "wasm");
  },
});

Deno.test({
  name: `useBackend('auto') takes the first usable backend and names what it passed over${
    tensorflowInstalled ? " (skipped: tfjs-node is installed here)" : ""
  }`,
  ignore: tensorflowInstalled,
  async fn() {
    const logger = createMemoryLogger();
    const choice = await useBackend("auto", { threads: 2, logger });
    const gpu = webgpu.available && !webgpu.adapter?.cpu;
    assert.equal(choice.name, gpu ? "webgpu" : native.available ? "native" : "wasm");
    assert.match(choice.reason, /^auto: .*passed over tensorflow: neither @tensorflow\/tfjs-node-gpu/);
    if (!gpu) {
      // A CPU adapter (lavapipe) or none: either way the reason says why webgpu was not taken.
      assert.match(choice.reason, new RegExp(`webgpu: ${webgpu.reason.slice(0, 20).replace(/[()]/g, ".")}`));
      assert.equal(choice.details.threads, 2);
      if (!native.available) assert.match(choice.reason, /native: /);
    } else {
      assert.equal(choice.details.threads_ignored, 2);
    }
    await useBackend("wasm");
  },
});

Deno.test("probeBackends reports each backend in auto order, with install hints for the missing ones", async () => {
  const probes = await probeBackends();
  assert.deepEqual(probes.map((p) => p.name), [...AUTO_ORDER]);
  const byName = Object.fromEntries(probes.map((p) => [p.name, p]));
  assert.equal(byName.wasm.available, true);
  const cores = navigator.hardwareConcurrency;
  assert.deepEqual(byName.wasm.details.threads, { available: true, max: Math.min(8, cores), cores });
  assert.equal(byName.cpu.available, true);
  assert.equal(byName.webgpu.available, webgpu.available);
  if (webgpu.adapter?.cpu) assert.equal(byName.webgpu.auto, false);
  for (const p of probes) {
    assert.equal(p.install === undefined, p.available, `${p.name}: install hint iff unavailable`);
  }
  if (!tensorflowInstalled) assert.match(byName.tensorflow.install!, /deno task setup:gpu/);
  assert.equal(tf.getBackend(), "wasm");
});
