/**
 * WebGPU for TensorFlow.js under Deno: what adapter the host has, and loading tfjs-backend-webgpu.
 *
 * Deno exposes `navigator.gpu` without a flag; the adapter comes from a Vulkan driver. On a GPU host that
 * is the vendor's ICD (NVIDIA: the driver's nvidia_icd.json, not CUDA). Debian's mesa-vulkan-drivers
 * adds lavapipe (llvmpipe), a Vulkan driver that runs on the CPU: it runs the same shaders as a GPU and
 * so is what CI tests the WebGPU path on, but it is slower than the wasm backend (about 4 GFLOP/s
 * against 20-30 for a matmul on a 2-core host), so `auto` never prefers it. Deno marks such an adapter
 * with `isFallbackAdapter`; the description is checked too for drivers that do not set it.
 *
 * Each process that asks for an adapter may print "XDG_RUNTIME_DIR is invalid or not set": Mesa's
 * window-system code wants a runtime folder even though nothing is drawn. It is harmless; setting
 * XDG_RUNTIME_DIR to a private folder (mode 0700) silences it (.ci/setup_vulkan.sh and
 * scripts/gpu_check.sh do).
 */
import { MmmlError } from "../errors.ts";

/**
 * The package that registers the "webgpu" tfjs backend. Spelled as a full npm specifier so it loads
 * before deno.json maps "@tensorflow/tfjs-backend-webgpu"; both resolve to the same package.
 */
export const WEBGPU_PACKAGE = "@tensorflow/tfjs-backend-webgpu@4.22.0";

/** What the host's adapter says about itself (GPUAdapterInfo), plus whether it runs on the CPU. */
export interface GpuAdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** A software (CPU) driver such as lavapipe/llvmpipe or SwiftShader. */
  cpu: boolean;
}

/** Whether WebGPU can run here, and on what. */
export interface WebGpuProbe {
  available: boolean;
  /** One sentence: the adapter, or why there is none and how to get one. */
  reason: string;
  adapter?: GpuAdapterFacts;
}

/** What to install on a host without an adapter. */
export const WEBGPU_INSTALL_HINT = "install a Vulkan driver: on Debian/Ubuntu `apt-get install " +
  "mesa-vulkan-drivers libvulkan1` (lavapipe, CPU only); on an NVIDIA host the driver's Vulkan ICD " +
  "(/usr/share/vulkan/icd.d/nvidia_icd.json, from the driver package, e.g. libnvidia-gl-<version>)";

const CPU_DRIVERS = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render/i;

/** True for adapters that run on the CPU. */
export function isCpuAdapter(
  info: { description?: string; device?: string; isFallbackAdapter?: boolean },
): boolean {
  return info.isFallbackAdapter === true ||
    CPU_DRIVERS.test(`${info.description ?? ""} ${info.device ?? ""}`);
}

/** The subset of navigator.gpu this file uses, so tests can pass a fake. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: "low-power" | "high-performance" }): Promise<
    {
      info: {
        vendor: string;
        architecture: string;
        device: string;
        description: string;
        isFallbackAdapter?: boolean;
      };
      isFallbackAdapter?: boolean;
    } | null
  >;
}

/** Describes the adapter tfjs-backend-webgpu would get ("high-performance", as it asks). */
export async function probeWebGpu(
  { gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu ?? null }: { gpu?: GpuLike | null } =
    {},
): Promise<WebGpuProbe> {
  if (gpu === null) {
    return { available: false, reason: "this runtime has no navigator.gpu (WebGPU API)" };
  }
  let adapter;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (err) {
    return { available: false, reason: `requesting a WebGPU adapter failed: ${(err as Error).message}` };
  }
  if (adapter === null) {
    return {
      available: false,
      reason: `no WebGPU adapter (no usable Vulkan driver); ${WEBGPU_INSTALL_HINT}`,
    };
  }
  const info = adapter.info;
  const facts: GpuAdapterFacts = {
    vendor: String(info.vendor ?? ""),
    architecture: String(info.architecture ?? ""),
    device: String(info.device ?? ""),
    description: String(info.description ?? ""),
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false),
    cpu: false,
  };
  facts.cpu = isCpuAdapter(facts);
  const name = facts.description || `vendor ${facts.vendor}`;
  return {
    available: true,
    reason: facts.cpu
      ? `adapter "${name}" is a CPU (software) Vulkan driver: it works but is slower than wasm`
      : `GPU adapter "${name}"`,
    adapter: facts,
  };
}

const GUARDED = Symbol.for("mmml.webgpuSyncReadGuard");

/**
 * tfjs-backend-webgpu reads a tensor synchronously (dataSync, arraySync) by drawing it into an
 * OffscreenCanvas, which Deno lacks, so such a read fails with "Cannot read properties of null (reading
 * 'clearRect')". This wraps the backend's readSync so the failure says what happened and what to use
 * instead. Reads of values still held on the CPU keep working.
 */
export function guardSyncReads(backend: { readSync(dataId: unknown): unknown }): void {
  const marked = backend as typeof backend & { [GUARDED]?: true };
  if (marked[GUARDED]) return;
  const original = backend.readSync.bind(backend);
  backend.readSync = (dataId: unknown) => {
    try {
      return original(dataId);
    } catch (err) {
      throw new Error(
        "A synchronous tensor read (dataSync/arraySync) ran on the webgpu backend, which cannot read " +
          "synchronously under Deno (tfjs-backend-webgpu needs an OffscreenCanvas for it); read with " +
          `\`await tensor.data()\` instead (${(err as Error).message})`,
        { cause: err },
      );
    }
  };
  marked[GUARDED] = true;
}

let modulePromise: Promise<void> | undefined;

/** Loads tfjs-backend-webgpu, which registers the "webgpu" backend (it does not switch to it). */
export function loadWebGpuModule(): Promise<void> {
  // Until deno.json maps "@tensorflow/tfjs-backend-webgpu", the full specifier is the only way to load it;
  // a literal keeps it in the module graph, so `deno compile` embeds it.
  modulePromise ??= import("@tensorflow/tfjs-backend-webgpu").then(
    () => {},
    (err) => {
      modulePromise = undefined;
      throw new MmmlError(
        "backend_unavailable",
        `Cannot load ${WEBGPU_PACKAGE} (is it in deno.json and installed by \`deno install\`?): ${
          (err as Error).message
        }`,
        { cause: err },
      );
    },
  );
  return modulePromise;
}
