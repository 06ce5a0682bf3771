import assert from "node:assert/strict";
import type { DoctorReport } from "./doctor_report.ts";
import type { CommandRunner } from "./facts.ts";
import { GPU_CHECK_EXIT, type GpuCheckDeps, runGpuCheck } from "./gpu_check.ts";
import type { TrainBenchOptions, TrainBenchResult } from "./train_bench.ts";
import type { TorchBenchOptions } from "./torch_bench.ts";

function doctorWith(adapter: Record<string, unknown> | undefined): DoctorReport {
  return {
    mmml: "0.1.0",
    runtime: { deno: "2.9.6", v8: "x", typescript: "x", os: "linux", arch: "x86_64" },
    backends: [
      { name: "tensorflow", available: false, auto: false, reason: "absent", details: {} },
      {
        name: "webgpu",
        available: adapter !== undefined,
        auto: true,
        reason: "",
        details: adapter ? { adapter } : {},
      },
      { name: "wasm", available: true, auto: true, reason: "", details: {} },
    ],
    auto: "webgpu",
    onnxruntime: {
      version: "1.30.0",
      providers: [{ provider: "cuda", available: false, configured: true }, {
        provider: "cpu",
        available: true,
        configured: true,
      }],
    },
    cpu: { model: "x", logicalCores: 16 },
    memory: { totalBytes: 1, availableBytes: 1 },
    disk: { error: "n/a" },
    gpu: {
      status: "found",
      gpus: [{
        index: 0,
        name: "NVIDIA H100 80GB HBM3",
        driver: "580.65",
        memoryTotalMiB: 81559,
        memoryUsedMiB: 0,
        utilizationPercent: 0,
      }],
      cudaVersion: "13.0",
    },
    registry: { location: "models", exists: false, writable: true, models: 0, versions: 0 },
    problems: [],
  } as unknown as DoctorReport;
}

/** nvidia-smi answering a busier GPU on every call. */
function smi(): CommandRunner {
  let n = 0;
  return (_program, args) => {
    if (args[0] === "-q") return Promise.resolve({ code: 0, stdout: "CUDA Version : 13.0", stderr: "" });
    n++;
    return Promise.resolve({
      code: 0,
      stdout: `0, NVIDIA H100, 580.65, 81559, ${1000 * n}, ${Math.min(99, 40 * n)}\n`,
      stderr: "",
    });
  };
}

function deps(adapter: Record<string, unknown> | undefined, over: Partial<GpuCheckDeps> = {}) {
  const benches: TrainBenchOptions[] = [];
  const torches: TorchBenchOptions[] = [];
  const d: GpuCheckDeps = {
    doctor: () => Promise.resolve(doctorWith(adapter)),
    bench: async (o) => {
      benches.push(o);
      await new Promise((r) => setTimeout(r, 30));
      return {
        backend: "webgpu",
        reason: "requested",
        adapter,
        model: o.arch,
        batch: o.batch,
        size: o.size,
        steps: o.steps,
        images_per_s: o.arch === "resnet18" ? 600 : 200,
        step_ms: 1,
        warmup_s: 1,
        loss_first: 2,
        loss_last: 1,
      } as TrainBenchResult;
    },
    torch: (o) => {
      torches.push(o);
      return Promise.resolve({ device: "cuda", images_per_s: o.arch === "resnet18" ? 1200 : 400 });
    },
    run: smi(),
    host: "gpu-1",
    vulkanIcd: "/usr/share/vulkan/icd.d/nvidia_icd.json",
    log: () => {},
    sampleMs: 5,
    ...over,
  };
  return { d, benches, torches };
}

const OPTIONS = {
  archs: ["resnet18", "resnet50"] as const,
  batch: 32,
  size: 224,
  steps: 10,
  warmup: 2,
  budgetSeconds: 90,
};

Deno.test("gpu-check on a GPU adapter: both models at the asked shape, ratios against PyTorch, nvidia-smi peaks", async () => {
  const { d, benches, torches } = deps({ description: "NVIDIA H100 80GB HBM3", cpu: false });
  const { summary, exit } = await runGpuCheck(d, OPTIONS);
  assert.equal(exit, GPU_CHECK_EXIT.ok);
  assert.equal(summary.verdict, "ok");
  assert.deepEqual(benches.map((b) => [b.arch, b.batch, b.size, b.backend]), [
    ["resnet18", 32, 224, "webgpu"],
    ["resnet50", 32, 224, "webgpu"],
  ]);
  assert.deepEqual(torches.map((t) => [t.arch, t.batch, t.size, t.steps]), [["resnet18", 32, 224, 10], [
    "resnet50",
    32,
    224,
    10,
  ]]);
  const models = summary.models as Record<
    string,
    { ratio: number; mmml: Record<string, unknown>; nvidia_smi: { utilization_max: number; samples: number } }
  >;
  assert.equal(models.resnet18.ratio, 0.5);
  assert.equal(models.resnet50.ratio, 0.5);
  assert.equal("adapter" in models.resnet18.mmml, false, "the adapter is said once, at the top");
  assert.ok(models.resnet18.nvidia_smi.samples >= 1 && models.resnet18.nvidia_smi.utilization_max > 0);
  assert.equal(summary.webgpu_adapter, "NVIDIA H100 80GB HBM3");
  assert.deepEqual(summary.gpus, ["NVIDIA H100 80GB HBM3"]);
  assert.equal(summary.cuda, "13.0");
  assert.deepEqual(summary.ort_providers, { cuda: false, cpu: true });
  assert.equal(JSON.stringify(summary).includes("\n"), false);
});

Deno.test("gpu-check on a CPU adapter shrinks the steps and exits 3 (no GPU); a failed step on a GPU exits 1", async () => {
  const cpu = deps({ description: "llvmpipe (LLVM 15.0.6, 256 bits)", cpu: true }, {
    run: () => Promise.resolve(null),
  });
  const r = await runGpuCheck(cpu.d, OPTIONS);
  assert.equal(r.exit, GPU_CHECK_EXIT.noGpu);
  assert.equal(r.summary.verdict, "no-gpu");
  assert.equal(r.summary.webgpu_cpu_adapter, true);
  assert.deepEqual(cpu.benches.map((b) => [b.batch, b.size, b.steps]), [[2, 32, 2], [2, 32, 2]]);

  const failing = deps({ description: "NVIDIA H100", cpu: false }, {
    bench: (o) =>
      o.arch === "resnet50"
        ? Promise.reject(new Error("out of device memory"))
        : deps({ cpu: false }).d.bench(o),
  });
  const f = await runGpuCheck(failing.d, OPTIONS);
  assert.equal(f.exit, GPU_CHECK_EXIT.failed);
  const models = f.summary.models as Record<string, { mmml: { error?: string }; ratio: number | null }>;
  assert.equal(models.resnet50.mmml.error, "out of device memory");
  assert.equal(models.resnet50.ratio, null);
});
