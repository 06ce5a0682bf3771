/**
 * What this host can run, gathered for `mmml doctor` and the server's health check alike: runtime
 * versions, each training backend (available, or why not and how to install it), the WebGPU adapter, ONNX
 * Runtime's execution providers, CPU, memory, free disk, NVIDIA GPUs and the registry folder.
 *
 * mmml can train and serve here when some training backend runs, ONNX Runtime's CPU provider opens a
 * model and the registry is writable; missing optional engines (a GPU, TensorFlow) are reported, not
 * counted as problems.
 */
import { formatBytes } from "../disk_space.ts";
import { createSqliteRegistry, SQLITE_FILE } from "../registry/sqlite_registry.ts";
import { findLeftovers, type Leftover } from "../runs/leftovers.ts";
import { redactDeep } from "../redact.ts";
import { join } from "node:path";
import { probeBackends } from "../backend/choose.ts";
import type { BackendProbe } from "../backend/probes.ts";
import { availableProviders, ortVersion, type ProviderName, PROVIDERS } from "../inference/onnx_session.ts";
import { createFileRegistry } from "../registry/file_registry.ts";
import { VERSION } from "../version.ts";
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
} from "./facts.ts";

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
  /** Folders killed processes left (dead runs' work folders, stale staging), with what to do. */
  leftovers?: { count: number; bytes: number; folders: Leftover[] };
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
    const providers = await (deps.availableProviders ?? (() => probeProviders(backends)))();
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
  // A registry URL may hold a password: nothing in the report (printed, and shown by /health) keeps it.
  return redactDeep(report);
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
  const left = r.registry.leftovers;
  if (left) {
    out.push(
      `${left.count} folder(s) in ${r.registry.location} were left by killed processes ` +
        `(${
          formatBytes(left.bytes)
        }): a dead run resumes with mmml train --resume-dir FOLDER; list or remove ` +
        `them with mmml registry clean --registry ${r.registry.location} [--yes]`,
    );
  }
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
    // The database too: a corrupt registry.db is named with its way back (registry rebuild).
    if (await Deno.stat(join(location, SQLITE_FILE)).then(() => true, () => false)) {
      try {
        await (await createSqliteRegistry(location)).close();
      } catch (err) {
        health.error ??= (err as Error).message;
      }
    }
    const folders = await findLeftovers(location).catch(() => []);
    if (folders.length) {
      health.leftovers = { count: folders.length, bytes: folders.reduce((a, f) => a + f.bytes, 0), folders };
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

/**
 * ONNX Runtime's providers, each tried on a tiny model, but for WebGPU only where Deno's WebGPU probe
 * found a GPU adapter: on a CPU-only host ONNX Runtime's own attempt prints Vulkan warnings to the
 * terminal and can only fail.
 */
async function probeProviders(backends: BackendProbe[]) {
  const adapter = backends.find((b) => b.name === "webgpu")?.details.adapter as
    | { cpu?: boolean; isFallbackAdapter?: boolean; description?: string }
    | undefined;
  const gpu = adapter && !adapter.cpu && !adapter.isFallbackAdapter;
  const tried = await availableProviders(PROVIDERS.filter((p) => p !== "webgpu" || gpu));
  if (gpu) return tried;
  const reason = adapter
    ? `no GPU adapter: the only WebGPU adapter here runs on the CPU (${adapter.description || "a fallback"})`
    : "no WebGPU adapter here (see the webgpu backend above)";
  return PROVIDERS.map((provider) =>
    tried.find((t) => t.provider === provider) ?? { provider, available: false, reason }
  );
}
