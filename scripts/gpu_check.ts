/**
 * The TypeScript half of scripts/gpu_check.sh:
 *   bench    ResNet-18 training steps on a backend (webgpu by default), printing one JSON object;
 *   summary  folds the check's outputs (doctor, nvidia-smi, Vulkan ICD, bench) into one JSON line, so
 *            runs on different hosts can be compared.
 * Reads are all async (`await data()`): tfjs-backend-webgpu's dataSync needs an OffscreenCanvas, which
 * Deno lacks.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { ModelConfig } from "../src/config/schema.ts";
import { useBackend } from "../src/backend/choose.ts";
import type { BackendName } from "../src/config/schema.ts";
import { buildResnet } from "../src/models/resnet.ts";
import { createRng } from "../src/random.ts";

export interface BenchOptions {
  backend: BackendName;
  batch: number;
  size: number;
  steps: number;
  warmup: number;
  classes: number;
}

export interface BenchResult {
  backend: string;
  reason: string;
  adapter: unknown;
  model: "resnet18";
  batch: number;
  size: number;
  steps: number;
  /** Steps after warm-up, per second, times the batch. */
  images_per_s: number;
  /** Median time of one timed step. */
  step_ms: number;
  /** Warm-up steps include compiling every shader or kernel once. */
  warmup_s: number;
  loss_first: number;
  loss_last: number;
}

/** Trains ResNet-18 on seeded random images for `warmup + steps` steps and times the last `steps`. */
export async function benchResnet(o: BenchOptions): Promise<BenchResult> {
  const choice = await useBackend(o.backend);
  const config = ModelConfig.parse({ arch: "resnet18", dropout: 0 });
  const model = buildResnet(config, { inputShape: [o.size, o.size, 3], numClasses: o.classes, seed: 1 });
  const optimizer = tf.train.sgd(0.01);
  model.net.compile({ optimizer, loss: "categoricalCrossentropy" });
  const rng = createRng(7);
  const x = tf.tensor4d(
    Float32Array.from({ length: o.batch * o.size * o.size * 3 }, () => rng.next() - 0.5),
    [
      o.batch,
      o.size,
      o.size,
      3,
    ],
  );
  const labels = tf.tensor1d(Array.from({ length: o.batch }, (_, i) => i % o.classes), "int32");
  const y = tf.oneHot(labels, o.classes);
  try {
    const losses: number[] = [];
    const started = performance.now();
    for (let i = 0; i < o.warmup; i++) losses.push(Number(await model.net.trainOnBatch(x, y)));
    const warmup = (performance.now() - started) / 1000;
    const times: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      const t = performance.now();
      // trainOnBatch reads the loss back, so each step has finished on the device when it returns.
      losses.push(Number(await model.net.trainOnBatch(x, y)));
      times.push(performance.now() - t);
    }
    const total = times.reduce((a, b) => a + b, 0) / 1000;
    return {
      backend: choice.name,
      reason: choice.reason,
      adapter: choice.details.adapter ?? null,
      model: "resnet18",
      batch: o.batch,
      size: o.size,
      steps: o.steps,
      images_per_s: Number(((o.batch * o.steps) / total).toFixed(2)),
      step_ms: Number(median(times).toFixed(1)),
      warmup_s: Number(warmup.toFixed(2)),
      loss_first: losses[0],
      loss_last: losses.at(-1)!,
    };
  } finally {
    tf.dispose([x, labels, y]);
    optimizer.dispose();
    model.net.dispose();
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The inputs of the summary line, each as its step left it (absent or an error when it failed). */
export interface SummaryInputs {
  host: string;
  seconds: number;
  /** `mmml doctor --json` output, or the error text. */
  doctor: unknown;
  /** `nvidia-smi -L` output ("" when absent). */
  nvidiaSmi: string;
  /** The NVIDIA Vulkan ICD file used, or null. */
  vulkanIcd: string | null;
  /** The bench's JSON, or the error text. */
  bench: unknown;
}

/** One flat object to compare hosts by. `ok` means: a GPU WebGPU adapter trained ResNet-18 steps. */
export function buildSummary(i: SummaryInputs): Record<string, unknown> {
  const doctor = typeof i.doctor === "object" && i.doctor !== null
    ? i.doctor as Record<string, unknown>
    : null;
  const bench = typeof i.bench === "object" && i.bench !== null ? i.bench as Partial<BenchResult> : null;
  const backends = (doctor?.backends ?? []) as {
    name: string;
    available: boolean;
    details: Record<string, unknown>;
  }[];
  const adapter = backends.find((b) => b.name === "webgpu")?.details?.adapter as
    | { description?: string; isFallbackAdapter?: boolean; cpu?: boolean }
    | undefined;
  const ort = doctor?.onnxruntime as { providers?: { provider: string; available: boolean }[] } | undefined;
  const gpus = i.nvidiaSmi.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("GPU "));
  const webgpuOnGpu = adapter !== undefined && adapter.cpu === false;
  return {
    check: "mmml-gpu-check",
    host: i.host,
    seconds: i.seconds,
    deno: (doctor?.runtime as { deno?: string } | undefined)?.deno ?? null,
    gpus: gpus.map((l) => l.replace(/\s*\(UUID:.*\)$/, "")),
    vulkan_icd: i.vulkanIcd,
    webgpu_adapter: adapter?.description ?? null,
    webgpu_cpu_adapter: adapter?.cpu ?? null,
    backends: Object.fromEntries(backends.map((b) => [b.name, b.available])),
    auto_backend: doctor?.auto ?? null,
    ort_providers: Object.fromEntries((ort?.providers ?? []).map((p) => [p.provider, p.available])),
    resnet18_images_per_s: bench?.images_per_s ?? null,
    resnet18: bench ? { ...bench } : { error: String(i.bench ?? "not run") },
    doctor_problems: doctor ? doctor.problems : [String(i.doctor ?? "doctor did not run")],
    ok: webgpuOnGpu && typeof bench?.images_per_s === "number" && bench.images_per_s > 0,
  };
}

async function readJson(path: string | undefined): Promise<unknown> {
  if (!path) return "not run";
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    return `not run (${(err as Error).message})`;
  }
  try {
    return JSON.parse(text.trim().split("\n").at(-1) ?? "");
  } catch {
    return text.trim().split("\n").slice(-3).join(" | ") || "no output";
  }
}

if (import.meta.main) {
  const [mode, ...rest] = Deno.args;
  const { values } = parseArgs({
    args: rest,
    options: {
      backend: { type: "string", default: "webgpu" },
      batch: { type: "string", default: "32" },
      size: { type: "string", default: "224" },
      steps: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      doctor: { type: "string" },
      bench: { type: "string" },
      "nvidia-smi": { type: "string" },
      icd: { type: "string" },
      seconds: { type: "string", default: "0" },
    },
  });
  if (mode === "bench") {
    const result = await benchResnet({
      backend: values.backend as BackendName,
      batch: Number(values.batch),
      size: Number(values.size),
      steps: Number(values.steps),
      warmup: Number(values.warmup),
      classes: 10,
    });
    console.log(JSON.stringify(result));
  } else if (mode === "summary") {
    const smi = values["nvidia-smi"] ? await Deno.readTextFile(values["nvidia-smi"]).catch(() => "") : "";
    console.log(JSON.stringify(buildSummary({
      host: Deno.hostname(),
      seconds: Number(values.seconds),
      doctor: await readJson(values.doctor),
      nvidiaSmi: smi,
      vulkanIcd: values.icd || null,
      bench: await readJson(values.bench),
    })));
  } else {
    console.error(
      "usage: gpu_check.ts bench [--backend B --batch N --size PX --steps N --warmup N] | summary ...",
    );
    Deno.exit(2);
  }
}
