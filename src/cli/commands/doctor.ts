/**
 * `mmml doctor [--json]`: what this host can run (src/host/doctor_report.ts gathers it), as text or JSON.
 * The exit status is 0 when mmml can train and serve here, 1 otherwise; missing optional engines (a GPU,
 * TensorFlow) are reported, not failures.
 */
import { isAbsolute, join } from "node:path";
import {
  type CommandSpec,
  CONFIG_FILE_FLAGS,
  configFlagSpecs,
  formatHelp,
  JSON_FLAG,
  parseCommandArgs,
} from "../args.ts";
import type { CliContext } from "../context.ts";
import { loadConfig } from "../../config/load_config.ts";
import { type DoctorReport, gatherDoctorReport } from "../../host/doctor_report.ts";
import { adviceForOneFile } from "../../host/one_file.ts";

/** Flags of `mmml doctor`. */
export const DOCTOR_SPEC = {
  name: "doctor",
  summary:
    "Report what this host can run: backends, WebGPU, ONNX Runtime providers, CPU, memory, disk, GPUs, " +
    "registry.",
  flags: { ...CONFIG_FILE_FLAGS, ...configFlagSpecs("registry"), json: JSON_FLAG },
} as const satisfies CommandSpec;

/** `mmml doctor [--config F]... [--set k=v]... [--registry DIR] [--json]`. */
export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, help } = parseCommandArgs(args, DOCTOR_SPEC);
  if (help) {
    ctx.stdout(formatHelp(DOCTOR_SPEC));
    return 0;
  }
  const { config } = await loadConfig({
    files: values.config,
    flags: values,
    sets: values.set,
    cwd: ctx.cwd,
    logger: ctx.logger,
  });
  const registryPath = /^[a-z][a-z0-9+.-]*:\/\//i.test(config.registry.path)
    ? config.registry.path
    : isAbsolute(config.registry.path)
    ? config.registry.path
    : join(ctx.cwd, config.registry.path);
  const gathered = await gatherDoctorReport({ registryPath, configuredProviders: config.serving.providers });
  // MMML_ONE_FILE is set by the one file's launcher (scripts/self_extracting_header.sh).
  const report = ctx.env.MMML_ONE_FILE ? adviceForOneFile(gathered, ctx.env.MMML_ONE_FILE) : gathered;
  ctx.stdout(values.json ? JSON.stringify(report) + "\n" : formatDoctorReport(report));
  return report.problems.length ? 1 : 0;
}

/** ONNX Runtime prefixes some errors with a source location and an assertion; people need the end. */
function lastSentence(text = ""): string {
  if (text.length <= 120) return text;
  return text.split(/\.\s+/).filter(Boolean).at(-1) ?? text;
}

const GiB = 1024 ** 3;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

/** The human layout of the report. */
export function formatDoctorReport(r: DoctorReport): string {
  const lines = [
    `mmml ${r.mmml}`,
    `runtime      Deno ${r.runtime.deno}, V8 ${r.runtime.v8}, TypeScript ${r.runtime.typescript} ` +
    `(${r.runtime.os} ${r.runtime.arch})`,
    `backends     in auto order; auto would choose: ${r.auto ?? "none"}`,
  ];
  const width = Math.max(...r.backends.map((b) => b.name.length));
  for (const b of r.backends) {
    const state = b.available ? (b.auto ? "yes" : "yes, not chosen by auto") : "no";
    const threads = b.details.threads as
      | { available?: boolean; max?: number; cores?: number; reason?: string }
      | undefined;
    const extra = threads === undefined || typeof threads !== "object"
      ? ""
      : threads.available
      ? `; threads: up to ${threads.max} (training.threads${threads.cores ? `; ${threads.cores} cores` : ""})`
      : `; threads: unavailable (${threads.reason})`;
    lines.push(`  ${b.name.padEnd(width)}  ${state}: ${b.reason}${extra}`);
    if (b.install) lines.push(`  ${"".padEnd(width)}  to install: ${b.install}`);
  }
  const adapter = r.backends.find((b) => b.name === "webgpu")?.details.adapter as
    | Record<string, unknown>
    | undefined;
  lines.push(
    adapter
      ? `webgpu       ${adapter.description || "(no description)"}: vendor ${
        adapter.vendor || "-"
      }, architecture ` +
        `${adapter.architecture || "-"}, device ${adapter.device || "-"}, fallback ${
          adapter.isFallbackAdapter ? "yes" : "no"
        }` +
        `${adapter.cpu ? " (runs on the CPU)" : ""}`
      : `webgpu       no adapter: ${r.backends.find((b) => b.name === "webgpu")?.reason ?? "not probed"}`,
  );
  if ("error" in r.onnxruntime) lines.push(`onnxruntime  ${r.onnxruntime.error}`);
  else {
    lines.push(`onnxruntime  ${r.onnxruntime.version}; providers (* = in serving.providers):`);
    for (const p of r.onnxruntime.providers) {
      lines.push(
        `  ${p.configured ? "*" : " "} ${p.provider.padEnd(8)} ${
          p.available ? "yes" : `no: ${lastSentence(p.reason)}`
        }`,
      );
    }
  }
  lines.push(`cpu          ${r.cpu.model}, ${r.cpu.logicalCores} logical cores`);
  lines.push(`memory       ${gib(r.memory.totalBytes)} total, ${gib(r.memory.availableBytes)} available`);
  lines.push(
    "error" in r.disk
      ? `disk         ${r.disk.error}`
      : `disk         ${gib(r.disk.freeBytes)} free of ${
        gib(r.disk.totalBytes)
      } (measured at ${r.disk.measured})`,
  );
  if (r.gpu.status === "found") {
    for (const g of r.gpu.gpus) {
      lines.push(
        `gpu ${g.index}        ${g.name}, ${g.memoryTotalMiB} MiB (${g.memoryUsedMiB} used), driver ${g.driver}` +
          `${r.gpu.cudaVersion ? `, CUDA ${r.gpu.cudaVersion}` : ""}`,
      );
    }
  } else lines.push(`gpu          ${r.gpu.status === "not found" ? "not found" : "error"} (${r.gpu.reason})`);
  const reg = r.registry;
  lines.push(
    `registry     ${reg.location}: ${reg.exists ? "exists" : "does not exist yet"}, ` +
      `${reg.writable ? "writable" : "NOT writable"}, ${reg.models} models, ${reg.versions} versions` +
      `${reg.error ? ` (${reg.error})` : ""}`,
  );
  lines.push(r.problems.length ? `problems     ${r.problems.join("; ")}` : "problems     none");
  return lines.join("\n") + "\n";
}
