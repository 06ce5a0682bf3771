import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../src/backend/choose.ts";
import { benchResnet, buildSummary } from "./gpu_check.ts";

const GPU_DOCTOR = {
  runtime: { deno: "2.9.6" },
  auto: "webgpu",
  backends: [
    { name: "tensorflow", available: false, details: {} },
    {
      name: "webgpu",
      available: true,
      details: { adapter: { description: "NVIDIA H100 80GB HBM3", isFallbackAdapter: false, cpu: false } },
    },
    { name: "wasm", available: true, details: {} },
  ],
  onnxruntime: { providers: [{ provider: "cuda", available: true }, { provider: "cpu", available: true }] },
  problems: [],
};

Deno.test("buildSummary folds a GPU host's outputs into one comparable object", () => {
  const summary = buildSummary({
    host: "gpu-1",
    seconds: 95,
    doctor: GPU_DOCTOR,
    nvidiaSmi: "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234)\n",
    vulkanIcd: "/usr/share/vulkan/icd.d/nvidia_icd.json",
    bench: { backend: "webgpu", images_per_s: 212.5, step_ms: 150.6 },
  });
  assert.deepEqual(summary, {
    check: "mmml-gpu-check",
    host: "gpu-1",
    seconds: 95,
    deno: "2.9.6",
    gpus: ["GPU 0: NVIDIA H100 80GB HBM3"],
    vulkan_icd: "/usr/share/vulkan/icd.d/nvidia_icd.json",
    webgpu_adapter: "NVIDIA H100 80GB HBM3",
    webgpu_cpu_adapter: false,
    backends: { tensorflow: false, webgpu: true, wasm: true },
    auto_backend: "webgpu",
    ort_providers: { cuda: true, cpu: true },
    resnet18_images_per_s: 212.5,
    resnet18: { backend: "webgpu", images_per_s: 212.5, step_ms: 150.6 },
    doctor_problems: [],
    ok: true,
  });
  assert.equal(JSON.stringify(summary).includes("\n"), false);
});

Deno.test("buildSummary is not ok on a CPU adapter or when a step failed, and keeps the failure text", () => {
  const lavapipe = structuredClone(GPU_DOCTOR);
  lavapipe.backends[1].details.adapter = { description: "llvmpipe", isFallbackAdapter: true, cpu: true };
  const cpu = buildSummary({
    host: "ci",
    seconds: 30,
    doctor: lavapipe,
    nvidiaSmi: "",
    vulkanIcd: null,
    bench: { images_per_s: 0.3 },
  });
  assert.equal(cpu.ok, false);
  assert.equal(cpu.webgpu_cpu_adapter, true);
  const failed = buildSummary({
    host: "gpu-2",
    seconds: 200,
    doctor: "not run (No such file or directory)",
    nvidiaSmi: "",
    vulkanIcd: null,
    bench: "timed out after 200 s",
  });
  assert.equal(failed.ok, false);
  assert.deepEqual(failed.resnet18, { error: "timed out after 200 s" });
  assert.deepEqual(failed.doctor_problems, ["not run (No such file or directory)"]);
  assert.equal(failed.webgpu_adapter, null);
});

Deno.test("benchResnet times ResNet-18 training steps and leaves no tensors behind", async () => {
  await useBackend("wasm");
  const before = tf.memory().numTensors;
  const result = await benchResnet({ backend: "wasm", batch: 1, size: 32, steps: 1, warmup: 1, classes: 3 });
  assert.equal(result.backend, "wasm");
  assert.equal(result.model, "resnet18");
  assert.ok(result.images_per_s > 0 && Number.isFinite(result.images_per_s));
  assert.ok(Number.isFinite(result.loss_first) && Number.isFinite(result.loss_last));
  assert.equal(tf.memory().numTensors, before);
});
