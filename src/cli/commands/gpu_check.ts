/**
 * `mmml gpu-check`: trains ResNet-18 and ResNet-50 steps on the webgpu backend beside the host's own
 * PyTorch and prints one JSON line (src/host/gpu_check.ts). Exit 0: a GPU adapter trained every model;
 * 3: no GPU adapter (none, or a CPU one such as lavapipe); 1: a step failed on the GPU.
 */
import { join } from "node:path";
import { type CommandSpec, formatHelp, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import { MmmlError } from "../../errors.ts";
import { gatherDoctorReport } from "../../host/doctor_report.ts";
import { createCommandRunner } from "../../host/facts.ts";
import { GPU_CHECK_ARCHS, type GpuCheckArch, runGpuCheck } from "../../host/gpu_check.ts";
import { benchTorch } from "../../host/torch_bench.ts";
import { benchTraining } from "../../host/train_bench.ts";

export const GPU_CHECK_SPEC = {
  name: "gpu-check",
  summary: "Train ResNet steps on the GPU through WebGPU beside the host's PyTorch; print one JSON line.",
  flags: {
    models: {
      type: "string",
      valueName: "LIST",
      description: `comma-separated (default ${GPU_CHECK_ARCHS.join(",")})`,
    },
    "batch-size": { type: "number", valueName: "N", description: "images per step (default 32)" },
    "image-size": { type: "number", valueName: "PX", description: "square image side (default 224)" },
    steps: { type: "number", valueName: "N", description: "timed steps per model (default 10)" },
    python: { type: "string", valueName: "PATH", description: "the Python with PyTorch (default python3)" },
    "budget-seconds": {
      type: "number",
      valueName: "S",
      description: "stop timing a model after S seconds (default 90)",
    },
  },
} as const satisfies CommandSpec;

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, help } = parseCommandArgs(args, GPU_CHECK_SPEC);
  if (help) {
    ctx.stdout(formatHelp(GPU_CHECK_SPEC));
    return 0;
  }
  const archs = (values.models ?? GPU_CHECK_ARCHS.join(",")).split(",").map((m) => m.trim());
  for (const arch of archs) {
    if (!(GPU_CHECK_ARCHS as readonly string[]).includes(arch)) {
      throw new MmmlError(
        "usage",
        `--models: expected some of ${GPU_CHECK_ARCHS.join(", ")}, received "${arch}"`,
      );
    }
  }
  for (const [flag, value] of Object.entries(values)) {
    if (typeof value === "number" && !(Number.isInteger(value) && value > 0)) {
      throw new MmmlError("usage", `--${flag}: expected a positive whole number, received ${value}`);
    }
  }
  const run = createCommandRunner({ timeoutMs: 600_000 });
  const { summary, exit } = await runGpuCheck({
    doctor: () => gatherDoctorReport({ registryPath: join(ctx.cwd, "models") }),
    bench: benchTraining,
    torch: (o) => benchTorch(run, o, values.python ?? "python3"),
    run: createCommandRunner(),
    host: Deno.hostname(),
    vulkanIcd: ctx.env.VK_ICD_FILENAMES || null,
    log: (line) => ctx.logger.info(`gpu-check: ${line}`),
  }, {
    archs: archs as GpuCheckArch[],
    batch: values["batch-size"] ?? 32,
    size: values["image-size"] ?? 224,
    steps: values.steps ?? 10,
    warmup: 2,
    budgetSeconds: values["budget-seconds"] ?? 90,
  });
  ctx.stdout(JSON.stringify(summary) + "\n");
  return exit;
}
