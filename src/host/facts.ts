/**
 * Facts about the host for `mmml doctor` and the server's health check: runtime versions, CPU, memory,
 * free disk under a folder, and NVIDIA GPUs. Each gatherer takes what it reads from as an argument (a
 * command runner, a statfs, the runtime's version record), so tests feed it recorded output; a fact
 * that cannot be read becomes a sentence saying why, never an exception.
 */
import { cpus as osCpus } from "node:os";
import { statfs as nodeStatfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";

/** What a finished program printed. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; resolves null when it is not installed. Other failures reject. */
export type CommandRunner = (program: string, args: string[]) => Promise<CommandResult | null>;

/** A runner over Deno.Command, with a time limit so a hung driver cannot hang doctor. */
export function createCommandRunner({ timeoutMs = 15_000 }: { timeoutMs?: number } = {}): CommandRunner {
  return async (program, args) => {
    try {
      const out = await new Deno.Command(program, {
        args,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(timeoutMs),
      }).output();
      const text = new TextDecoder();
      return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
  };
}

export interface RuntimeFacts {
  deno: string;
  v8: string;
  typescript: string;
  os: string;
  arch: string;
}

/** Deno, V8 and TypeScript versions and the platform. */
export function runtimeFacts(
  version: { deno: string; v8: string; typescript: string } = Deno.version,
  build: { os: string; arch: string } = Deno.build,
): RuntimeFacts {
  return {
    deno: version.deno,
    v8: version.v8,
    typescript: version.typescript,
    os: build.os,
    arch: build.arch,
  };
}

export interface CpuFacts {
  model: string;
  logicalCores: number;
}

/** The CPU model and logical core count (node:os, which reads /proc/cpuinfo on Linux). */
export function cpuFacts(cpus: () => { model: string }[] = osCpus): CpuFacts {
  const list = cpus();
  return { model: list[0]?.model?.trim() || "unknown", logicalCores: list.length };
}

export interface MemoryFacts {
  totalBytes: number;
  availableBytes: number;
}

/** Total and available memory. */
export function memoryFacts(
  info: () => { total: number; available: number } = Deno.systemMemoryInfo,
): MemoryFacts {
  const { total, available } = info();
  return { totalBytes: total, availableBytes: available };
}

export interface DiskFacts {
  /** The folder asked about. */
  path: string;
  /** The folder actually measured: the nearest existing ancestor when `path` does not exist yet. */
  measured: string;
  totalBytes: number;
  /** Bytes an unprivileged user may still write (statfs bavail). */
  freeBytes: number;
}

type Statfs = (path: string) => Promise<{ bsize: number; blocks: number; bavail: number }>;

/** Free and total bytes of the file system holding `path` (or its nearest existing ancestor). */
export async function diskFacts(
  path: string,
  statfs: Statfs = nodeStatfs,
): Promise<DiskFacts | { error: string }> {
  let measured = resolve(path);
  for (;;) {
    try {
      const s = await statfs(measured);
      return { path, measured, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
    } catch (err) {
      const parent = dirname(measured);
      if (
        (err as { code?: string }).code !== "ENOENT" && !(err instanceof Deno.errors.NotFound) ||
        parent === measured
      ) {
        return { error: `cannot measure free space under ${path}: ${(err as Error).message}` };
      }
      measured = parent;
    }
  }
}

export interface NvidiaGpu {
  index: number;
  name: string;
  driver: string;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
  utilizationPercent: number | null;
}

export interface GpuFacts {
  /** "found", "not found" (no nvidia-smi), or "error" (nvidia-smi ran and failed, or could not run). */
  status: "found" | "not found" | "error";
  gpus: NvidiaGpu[];
  cudaVersion?: string;
  /** Why the list is empty, when it is. */
  reason?: string;
}

/** The fields asked of nvidia-smi, in the order parseNvidiaSmi reads them. */
export const NVIDIA_SMI_QUERY = "index,name,driver_version,memory.total,memory.used,utilization.gpu";

/** Parses `nvidia-smi --query-gpu=NVIDIA_SMI_QUERY --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string): NvidiaGpu[] {
  return csv.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [index, name, driver, total, used, util] = line.split(",").map((f) => f.trim());
    const number = (
      text: string | undefined,
    ) => (text === undefined || !/^\d+(\.\d+)?$/.test(text) ? NaN : Number(text));
    const utilization = number(util);
    return {
      index: number(index),
      name: name ?? "",
      driver: driver ?? "",
      memoryTotalMiB: number(total),
      memoryUsedMiB: number(used),
      // "[N/A]" on some virtualised GPUs.
      utilizationPercent: Number.isNaN(utilization) ? null : utilization,
    };
  });
}

/** NVIDIA GPUs from nvidia-smi; "not found" where the driver's tool is not installed. */
export async function gpuFacts(run: CommandRunner): Promise<GpuFacts> {
  let listed: CommandResult | null;
  try {
    listed = await run("nvidia-smi", [`--query-gpu=${NVIDIA_SMI_QUERY}`, "--format=csv,noheader,nounits"]);
  } catch (err) {
    const denied = err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied;
    const why = denied
      ? "not checked: running nvidia-smi needs --allow-run=nvidia-smi"
      : (err as Error).message;
    return { status: "error", gpus: [], reason: why };
  }
  if (listed === null) return { status: "not found", gpus: [], reason: "nvidia-smi not found" };
  if (listed.code !== 0) {
    const said = (listed.stderr || listed.stdout).trim().split("\n")[0];
    return { status: "error", gpus: [], reason: `nvidia-smi exited with ${listed.code}: ${said}` };
  }
  const gpus = parseNvidiaSmi(listed.stdout);
  const facts: GpuFacts = { status: gpus.length ? "found" : "error", gpus };
  if (!gpus.length) facts.reason = "nvidia-smi listed no GPUs";
  // The CUDA version the driver supports is only in the report, not in --query-gpu.
  const report = await run("nvidia-smi", ["-q"]).catch(() => null);
  const cuda = report?.stdout.match(/CUDA Version\s*:\s*([\d.]+)/);
  if (cuda) facts.cudaVersion = cuda[1];
  return facts;
}
