/**
 * `mmml gpu-check`: whether this host's GPU trains, and how fast against its own PyTorch. Doctor's report
 * (the WebGPU adapter, backends, ONNX Runtime providers, nvidia-smi), then per architecture: training steps
 * on the webgpu backend with nvidia-smi sampled during them, and the same steps in `python3`'s PyTorch.
 * The outcome is one flat JSON object, so runs on different hosts compare line by line. Where the WebGPU
 * adapter is a CPU one (lavapipe) the steps shrink to 2 images of 32x32 so the check still ends quickly,
 * and the verdict is "no-gpu".
 */
import type { DoctorReport } from "./doctor_report.ts";
import { type CommandRunner, gpuFacts } from "./facts.ts";
import type { TrainBenchOptions, TrainBenchResult } from "./train_bench.ts";
import type { TorchBenchOptions } from "./torch_bench.ts";

export const GPU_CHECK_ARCHS = ["resnet18", "resnet50"] as const;
export type GpuCheckArch = (typeof GPU_CHECK_ARCHS)[number];

/** Exit statuses: a GPU adapter trained every model; no GPU adapter (or a CPU one); a step failed. */
export const GPU_CHECK_EXIT = { ok: 0, failed: 1, noGpu: 3 } as const;

export interface GpuCheckOptions {
  archs: readonly GpuCheckArch[];
  batch: number;
  size: number;
  steps: number;
  warmup: number;
  /** Per model and engine: timing stops after this many seconds. */
  budgetSeconds: number;
}

export interface GpuCheckDeps {
  doctor: () => Promise<DoctorReport>;
  bench: (o: TrainBenchOptions) => Promise<TrainBenchResult>;
  torch: (o: TorchBenchOptions) => Promise<Record<string, unknown>>;
  /** Runs nvidia-smi for the utilisation samples. */
  run: CommandRunner;
  host: string;
  /** VK_ICD_FILENAMES, as the caller found it. */
  vulkanIcd: string | null;
  log: (line: string) => void;
  /** Milliseconds between nvidia-smi samples. */
  sampleMs?: number;
}

interface Adapter {
  description?: string;
  cpu?: boolean;
}

interface Samples {
  utilization_max: number | null;
  memory_used_max_mib: number | null;
  samples: number;
}

/** Samples GPU 0's utilisation and memory while `work` runs. */
async function sampled<T>(deps: GpuCheckDeps, work: () => Promise<T>): Promise<[T, Samples]> {
  const s: Samples = { utilization_max: null, memory_used_max_mib: null, samples: 0 };
  let done = false;
  const loop = (async () => {
    while (!done) {
      const facts = await gpuFacts(deps.run).catch(() => null);
      const gpu = facts?.gpus[0];
      if (gpu) {
        s.samples++;
        if (gpu.utilizationPercent !== null) {
          s.utilization_max = Math.max(s.utilization_max ?? 0, gpu.utilizationPercent);
        }
        if (Number.isFinite(gpu.memoryUsedMiB)) {
          s.memory_used_max_mib = Math.max(s.memory_used_max_mib ?? 0, gpu.memoryUsedMiB);
        }
      } else if (facts?.status !== "found") return;
      await new Promise((r) => setTimeout(r, deps.sampleMs ?? 1000));
    }
  })();
  try {
    return [await work(), s];
  } finally {
    done = true;
    await loop;
  }
}

/** Runs the check; returns the summary and the exit status it means. */
export async function runGpuCheck(
  deps: GpuCheckDeps,
  o: GpuCheckOptions,
): Promise<{ summary: Record<string, unknown>; exit: number }> {
  const started = performance.now();
  deps.log("doctor: backends, WebGPU adapter, ONNX Runtime providers, GPUs");
  const doctor = await deps.doctor();
  const adapter = doctor.backends.find((b) => b.name === "webgpu")?.details?.adapter as Adapter | undefined;
  const onGpu = adapter !== undefined && adapter.cpu === false;
  let shape = { batch: o.batch, size: o.size, steps: o.steps, warmup: o.warmup };
  if (!onGpu) {
    deps.log(
      adapter
        ? `the WebGPU adapter "${adapter.description}" runs on the CPU: shrinking the steps to 2 images of 32x32`
        : "no WebGPU adapter: the webgpu steps will fail; PyTorch runs the small shape only",
    );
    shape = { batch: 2, size: 32, steps: 2, warmup: 1 };
  }
  const models: Record<string, unknown> = {};
  let allTrained = true;
  for (const arch of o.archs) {
    const common = { ...shape, classes: 10, budgetSeconds: o.budgetSeconds };
    deps.log(
      `${arch}: ${shape.steps} steps of batch ${shape.batch} at ${shape.size}x${shape.size} on webgpu`,
    );
    const [mmml, gpu] = await sampled(
      deps,
      () =>
        deps.bench({ ...common, arch, backend: "webgpu" })
          // The adapter is said once, at the top of the summary.
          .then(({ adapter: _, ...rest }) => rest)
          .catch((err: Error) => ({ error: err.message })),
    );
    deps.log(`${arch}: the same steps in the host's PyTorch`);
    const torch = await deps.torch({ ...common, arch });
    const mine = "images_per_s" in mmml ? mmml.images_per_s : null;
    const theirs = typeof torch.images_per_s === "number" ? torch.images_per_s : null;
    if (mine === null || !(mine > 0)) allTrained = false;
    models[arch] = {
      mmml,
      torch,
      ratio: mine !== null && theirs ? Number((mine / theirs).toFixed(3)) : null,
      nvidia_smi: gpu,
    };
  }
  const ort = "providers" in doctor.onnxruntime ? doctor.onnxruntime.providers : [];
  const verdict = !onGpu ? "no-gpu" : allTrained ? "ok" : "failed";
  const summary = {
    check: "mmml-gpu-check",
    verdict,
    ok: verdict === "ok",
    host: deps.host,
    seconds: Math.round((performance.now() - started) / 1000),
    mmml: doctor.mmml,
    deno: doctor.runtime.deno,
    gpus: doctor.gpu.gpus.map((g) => g.name),
    driver: doctor.gpu.gpus[0]?.driver ?? null,
    cuda: doctor.gpu.cudaVersion ?? null,
    nvidia_smi: doctor.gpu.reason ?? doctor.gpu.status,
    vulkan_icd: deps.vulkanIcd,
    webgpu_adapter: adapter?.description ?? null,
    webgpu_cpu_adapter: adapter?.cpu ?? null,
    backends: Object.fromEntries(doctor.backends.map((b) => [b.name, b.available])),
    auto_backend: doctor.auto,
    ort_providers: Object.fromEntries(ort.map((p) => [p.provider, p.available])),
    shape,
    models,
    doctor_problems: doctor.problems,
  };
  const exit = verdict === "ok"
    ? GPU_CHECK_EXIT.ok
    : verdict === "no-gpu"
    ? GPU_CHECK_EXIT.noGpu
    : GPU_CHECK_EXIT.failed;
  return { summary, exit };
}
