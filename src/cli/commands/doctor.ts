/**
 * `mmml doctor [--json]`: what this host can run. Runtime versions, each training backend (available,
 * or why not and how to install it), the WebGPU adapter, ONNX Runtime's execution providers, CPU,
 * memory, free disk, NVIDIA GPUs and the registry folder. gatherDoctorReport is exported so the server's
 * health check reports the same facts.
 *
 * The exit status is 0 when mmml can train and serve here (some training backend, ONNX Runtime's CPU
 * provider, a writable registry), 1 otherwise; missing optional engines (a GPU, TensorFlow) are
 * reported, not failures.
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
import { VERSION } from "../run_cli.ts";
import { loadConfig } from "../../config/load_config.ts";
import { probeBackends } from "../../backend/choose.ts";
import type { BackendProbe } from "../../backend/probes.ts";
import {
  availableProviders,
  ortVersion,
  type ProviderName,
  PROVIDERS,
} from "../../inference/onnx_session.ts";
import { createFileRegistry } from "../../registry/file_registry.ts";
import {
  type CommandRunner,
  type CpuFacts,
  cpuFacts,
  createCommandRunner,
  type DiskFacts,
  diskFacts,
  type GpuFacts,
  gpuFacts,
  type MemoryFacts,
  memoryFacts,
  type RuntimeFacts,
  runtimeFacts,
} from "../../host/facts.ts";

/** Flags of `mmml doctor`. */
export const DOCTOR_SPEC = {
  name: "doctor",
  summary:
    "Report what this host can run: backends, WebGPU, ONNX Runtime providers, CPU, memory, disk, GPUs, " +
    "registry.",
  flags: { ...CONFIG_FILE_FLAGS, ...configFlagSpecs("registry"), json: JSON_FLAG },
} as const satisfies CommandSpec;

export interface ProviderReport {
  provider: ProviderName;
  available: boolean;
  /** Listed in serving.providers. */
  configured: boolean;
  reason?: string;
}

export interface RegistryHealth {
  location: string;
  exists: boolean;
  /** A file could be created in it (or, before it exists, in the folder that will hold it). */
  writable: boolean;
  models: number;
  versions: number;
  error?: string;
}

/** Everything doctor reports; `--json` prints this object. */
export interface DoctorReport {
  mmml: string;
  runtime: RuntimeFacts;
  backends: BackendProbe[];
  /** The backend `--backend auto` would choose. */
  auto: string | null;
  onnxruntime: { version: string; providers: ProviderReport[] } | { error: string };
  cpu: CpuFacts;
  memory: MemoryFacts;
  disk: DiskFacts | { error: string };
  gpu: GpuFacts;
  registry: RegistryHealth;
  /** What stops mmml from training or serving here; empty when nothing does. */
  problems: string[];
}

/** What gatherDoctorReport reads from; everything but the registry has a real default. */
export interface DoctorDeps {
  /** The registry folder (absolute, or relative to the process's working directory). */
  registryPath: string;
  /** serving.providers, to mark which providers the config asks for. */
  configuredProviders?: readonly string[];
  run?: CommandRunner;
  probeBackends?: () => Promise<BackendProbe[]>;
  availableProviders?: () => Promise<{ provider: ProviderName; available: boolean; reason?: string }[]>;
  ortVersion?: () => string;
}

/** Gathers the report. Never throws for a host problem: each becomes a reason in the report. */
export async function gatherDoctorReport(deps: DoctorDeps): Promise<DoctorReport> {
  const configured = deps.configuredProviders ?? ["cuda", "cpu"];
  const backends = await (deps.probeBackends ?? probeBackends)();
  let onnxruntime: DoctorReport["onnxruntime"];
  try {
    const providers = await (deps.availableProviders ?? (() => availableProviders(PROVIDERS)))();
    onnxruntime = {
      version: (deps.ortVersion ?? ortVersion)(),
      providers: providers.map((p) => ({ ...p, configured: configured.includes(p.provider) })),
    };
  } catch (err) {
    onnxruntime = { error: `ONNX Runtime could not be loaded: ${(err as Error).message}` };
  }
  const [disk, gpu, registry] = await Promise.all([
    diskFacts(deps.registryPath),
    gpuFacts(deps.run ?? createCommandRunner()),
    registryHealth(deps.registryPath),
  ]);
  const report: DoctorReport = {
    mmml: VERSION,
    runtime: runtimeFacts(),
    backends,
    auto: backends.find((b) => b.available && b.auto)?.name ?? null,
    onnxruntime,
    cpu: cpuFacts(),
    memory: memoryFacts(),
    disk,
    gpu,
    registry,
    problems: [],
  };
  report.problems = problemsOf(report);
  return report;
}

function problemsOf(r: DoctorReport): string[] {
  const out: string[] = [];
  if (r.auto === null) out.push("no training backend can run");
  if ("error" in r.onnxruntime) out.push(r.onnxruntime.error);
  else if (!r.onnxruntime.providers.some((p) => p.provider === "cpu" && p.available)) {
    out.push("ONNX Runtime's CPU provider cannot open a model");
  }
  if (!r.registry.writable) out.push(`the registry ${r.registry.location} is not writable`);
  if (r.registry.error) out.push(r.registry.error);
  return out;
}

/** Whether the registry folder exists, can be written, and how many versions it lists. */
export async function registryHealth(location: string): Promise<RegistryHealth> {
  const health: RegistryHealth = { location, exists: false, writable: false, models: 0, versions: 0 };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    return { ...health, error: `${location} is a database URL; doctor checks folder registries only` };
  }
  let probeDir = location;
  try {
    health.exists = (await Deno.stat(location)).isDirectory;
    if (!health.exists) return { ...health, error: `${location} exists but is not a folder` };
  } catch {
    probeDir = join(location, ".."); // Created on the first registration: its parent must be writable.
  }
  health.writable = await canWrite(probeDir);
  if (health.exists) {
    try {
      const versions = await createFileRegistry(location).list();
      health.versions = versions.length;
      health.models = new Set(versions.map((v) => v.meta.name)).size;
    } catch (err) {
      health.error = `cannot list ${location}: ${(err as Error).message}`;
    }
  }
  return health;
}

async function canWrite(dir: string): Promise<boolean> {
  const probe = join(dir, `.mmml-doctor-${crypto.randomUUID()}`);
  try {
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
    return true;
  } catch {
    return false;
  }
}

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
  const report = await gatherDoctorReport({ registryPath, configuredProviders: config.serving.providers });
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
    const threads = b.details.threads as { available?: boolean; max?: number; reason?: string } | undefined;
    const extra = threads === undefined
      ? ""
      : threads.available
      ? `; threads: up to ${threads.max} (training.threads)`
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
