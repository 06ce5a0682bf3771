import assert from "node:assert/strict";
import { join } from "node:path";
import type { BackendProbe } from "../backend/probes.ts";
import { findTensorflowPackages } from "../backend/tensorflow.ts";
import { probeWebGpu } from "../backend/webgpu.ts";
import { gatherDoctorReport, registryHealth } from "./doctor_report.ts";

const tensorflowInstalled = (await findTensorflowPackages()).some((p) => p.problem === undefined);
const webgpu = await probeWebGpu();
const noNvidiaSmi = () => Promise.resolve(null);

/** A folder registry with versions written the way the registry lays them out (meta.json per version). */
async function fakeRegistry(versions: [string, number][]): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "mmml_doctor_" });
  for (const [name, version] of versions) {
    const dir = join(root, name, `v${version}`);
    await Deno.mkdir(dir, { recursive: true });
    const meta = { name, version, task: "tabular", stages: [], tags: [], files: {}, metrics: {} };
    await Deno.writeTextFile(join(dir, "meta.json"), JSON.stringify(meta));
  }
  return root;
}

Deno.test("gatherDoctorReport describes this host: backends with reasons, ONNX Runtime providers, registry", async () => {
  const root = await fakeRegistry([["iris", 1], ["iris", 2], ["penguins", 1]]);
  try {
    const report = await gatherDoctorReport({
      registryPath: root,
      run: noNvidiaSmi,
      configuredProviders: ["cpu"],
    });
    const byName = Object.fromEntries(report.backends.map((b) => [b.name, b]));
    assert.deepEqual(Object.keys(byName), ["tensorflow", "webgpu", "native", "wasm", "cpu"]);
    assert.equal(byName.wasm.available, true);
    // Thread counts reflect the machine: never more threads than cores.
    const threads = byName.wasm.details.threads as { available: boolean; max?: number; cores?: number };
    if (threads.available) {
      assert.equal(threads.cores, navigator.hardwareConcurrency);
      assert.ok(
        threads.max! <= navigator.hardwareConcurrency,
        `up to ${threads.max} on ${threads.cores} cores`,
      );
    }
    assert.equal(byName.webgpu.available, webgpu.available);
    assert.deepEqual(byName.webgpu.details.adapter, webgpu.adapter);
    if (!tensorflowInstalled) {
      assert.equal(byName.tensorflow.available, false);
      assert.match(byName.tensorflow.reason, /neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node/);
      assert.match(byName.tensorflow.install!, /deno task setup:gpu/);
    }
    assert.ok(!("error" in report.onnxruntime));
    const cpu = report.onnxruntime.providers.find((p) => p.provider === "cpu");
    assert.deepEqual(cpu, { provider: "cpu", available: true, configured: true });
    const cuda = report.onnxruntime.providers.find((p) => p.provider === "cuda");
    assert.equal(cuda?.configured, false);
    if (!cuda?.available) {
      assert.match(cuda!.reason!, /ONNXRUNTIME_NODE_INSTALL=cuda12/, "says how to get it");
    }
    if (!webgpu.available || webgpu.adapter?.cpu) {
      const ortWebgpu = report.onnxruntime.providers.find((p) => p.provider === "webgpu");
      assert.equal(ortWebgpu?.available, false, "not tried without a GPU adapter");
    }
    assert.deepEqual(report.gpu, { status: "not found", gpus: [], reason: "nvidia-smi not found" });
    assert.deepEqual(report.registry, {
      location: root,
      exists: true,
      writable: true,
      models: 2,
      versions: 3,
    });
    assert.ok(!("error" in report.disk) && report.disk.freeBytes > 0);
    assert.equal(report.runtime.deno, Deno.version.deno);
    assert.ok(report.cpu.logicalCores > 0 && report.memory.totalBytes > 0);
    assert.deepEqual(report.problems, []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("registryHealth: a folder not yet made, a file in the way, and a database URL", async () => {
  const root = await Deno.makeTempDir({ prefix: "mmml_doctor_" });
  try {
    const later = await registryHealth(join(root, "models"));
    assert.deepEqual(later, {
      location: join(root, "models"),
      exists: false,
      writable: true,
      models: 0,
      versions: 0,
    });
    await Deno.writeTextFile(join(root, "file"), "");
    const file = await registryHealth(join(root, "file"));
    assert.match(file.error!, /exists but is not a folder/);
    const url = await registryHealth("postgres://db/mmml");
    assert.match(url.error!, /database URL; doctor checks folder registries only/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("gatherDoctorReport lists what stops training or serving as problems", async () => {
  const root = await Deno.makeTempDir({ prefix: "mmml_doctor_" });
  const none: BackendProbe = { name: "cpu", available: false, auto: false, reason: "broken", details: {} };
  try {
    const report = await gatherDoctorReport({
      registryPath: root,
      run: noNvidiaSmi,
      probeBackends: () => Promise.resolve([none]),
      availableProviders: () =>
        Promise.reject(new Error("libonnxruntime.so.1: cannot open shared object file")),
    });
    assert.equal(report.auto, null);
    assert.deepEqual(report.problems, [
      "no training backend can run",
      "ONNX Runtime could not be loaded: libonnxruntime.so.1: cannot open shared object file",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
