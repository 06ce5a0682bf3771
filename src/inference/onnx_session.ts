/**
 * The one file that imports onnxruntime-node. It opens sessions on the requested execution providers,
 * in order, and reports which provider a session really got: a provider that fails to load is a loud
 * warning (or an error when required), never a silent CPU fallback.
 */
import * as ort from "onnxruntime-node";
import onnx from "onnx-proto";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { NamedTensor, TensorMeta } from "./predictor_types.ts";

/** Execution providers mmml knows how to ask for (names as onnxruntime-node spells them). */
export const PROVIDERS = ["cuda", "tensorrt", "webgpu", "cpu"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/**
 * Providers that live in shared libraries beside ONNX Runtime's addon, which the npm package leaves out
 * (it carries the CPU provider; WebGPU is built in). Asking ONNX Runtime for one that is absent makes it
 * print a red error of its own, so they are looked for first.
 */
const PROVIDER_LIBRARIES: Partial<Record<ProviderName, string[]>> = {
  cuda: ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"],
  tensorrt: ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_tensorrt.so"],
};

/** Providers already reported absent in this process (each is said once, not per model). */
const announcedAbsent = new Set<ProviderName>();

/** How to get the CUDA and TensorRT providers where the package lacks them. */
export const CUDA_PROVIDER_HINT =
  "the onnxruntime-node package carries the CPU provider only; on a CUDA 12 host install the CUDA " +
  "provider with `ONNXRUNTIME_NODE_INSTALL=cuda12 deno install --allow-scripts=npm:onnxruntime-node`";

/** The folder of ONNX Runtime's addon and libraries for this platform, as onnxruntime-node loads it. */
function addonFolder(): string {
  const entry = new URL(import.meta.resolve("onnxruntime-node"));
  const arch = Deno.build.arch === "x86_64" ? "x64" : "arm64";
  return new URL(`../bin/napi-v6/${Deno.build.os}/${arch}/`, entry).pathname;
}

/**
 * Why `provider` cannot load here without trying it (a library it needs is not installed), or null when
 * it may: only an attempt tells for sure.
 */
export function providerAbsence(provider: ProviderName, folder = addonFolder()): string | null {
  const missing = (PROVIDER_LIBRARIES[provider] ?? []).filter((file) => {
    try {
      return !Deno.statSync(`${folder}${file}`).isFile;
    } catch {
      return true;
    }
  });
  return missing.length ? `not installed (${missing.join(", ")} absent): ${CUDA_PROVIDER_HINT}` : null;
}

export interface OnnxSessionOptions {
  providers?: readonly ProviderName[];
  /** Threads for one operator; 0 lets ONNX Runtime choose. */
  intraOpThreads?: number;
  /** Fail instead of falling back when a requested provider cannot be loaded. */
  requireProviders?: boolean;
  logger?: Logger;
  /** For messages: where the model came from. */
  source?: string;
  /** Where provider libraries are looked for (default: ONNX Runtime's addon folder); for tests. */
  libraryFolder?: string;
}

/** Plain row-major data for one tensor; `type` is ONNX Runtime's element type name. */
export interface TensorData {
  type: "float32" | "float64" | "int64" | "int32" | "bool" | "uint8" | "string";
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | string[];
  dims: number[];
}

/** An open session, with ONNX Runtime's types kept inside this file. */
export interface OnnxRunner {
  readonly inputs: TensorMeta[];
  readonly outputs: TensorMeta[];
  /** Runs one batch; results in output order of `outputs`. */
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  close(): Promise<void>;
}

export interface OnnxSession {
  session: OnnxRunner;
  /** The provider the session was really created with. */
  provider: ProviderName;
  /** One line per requested provider that failed before `provider` loaded. */
  warnings: string[];
  /** One line per requested provider that is not installed here and so was not tried. */
  absent: string[];
}

/** ONNX Runtime element type -> OIP v2 datatype. */
export const ORT_TO_OIP = {
  float32: "FP32",
  float64: "FP64",
  int64: "INT64",
  int32: "INT32",
  bool: "BOOL",
  uint8: "UINT8",
  string: "BYTES",
} as const satisfies Record<TensorData["type"], NamedTensor["datatype"]>;

/**
 * Opens `model` (bytes or a file path) on the first requested provider that loads. The failures before
 * it are logged as warnings naming the provider and the reason; with `requireProviders` the first
 * failure is a `backend_unavailable` error instead.
 */
export async function createOnnxSession(
  model: Uint8Array | string,
  {
    providers = ["cuda", "cpu"],
    intraOpThreads = 0,
    requireProviders = false,
    logger,
    source,
    libraryFolder,
  }: OnnxSessionOptions = {},
): Promise<OnnxSession> {
  if (providers.length === 0) {
    throw new MmmlError("usage", "No ONNX Runtime execution providers were requested");
  }
  const from = source ?? (typeof model === "string" ? model : "an in-memory model");
  const warnings: string[] = [];
  const notInstalled: string[] = [];
  const failures: string[] = [];
  for (const provider of providers) {
    const absent = providerAbsence(provider, libraryFolder);
    if (absent && !requireProviders) {
      // Expected on a CPU host with the default [cuda, cpu]: said once, quietly, not as a failure.
      failures.push(`${provider}: ${absent}`);
      notInstalled.push(`ONNX Runtime provider "${provider}" is ${absent}`);
      if (!announcedAbsent.has(provider)) {
        announcedAbsent.add(provider);
        logger?.info(`ONNX Runtime provider "${provider}" is ${absent}`, { provider });
      }
      continue;
    }
    try {
      if (absent) throw new Error(absent);
      const session = await open(model, provider, intraOpThreads);
      logger?.info("ONNX Runtime session ready", { model: from, provider, requested: providers });
      return { session: wrap(session), provider, warnings, absent: notInstalled };
    } catch (err) {
      const reason = firstLine(err);
      failures.push(`${provider}: ${reason}`);
      if (requireProviders) {
        throw new MmmlError(
          "backend_unavailable",
          `ONNX Runtime provider "${provider}" failed to load for ${from}: ${reason} ` +
            `(serving.require_providers is on, so no fallback)`,
          { cause: err },
        );
      }
      const next = providers[providers.indexOf(provider) + 1];
      const msg = `ONNX Runtime provider "${provider}" failed to load for ${from}: ${reason}` +
        (next ? `; falling back to "${next}"` : "");
      warnings.push(msg);
      logger?.warn(msg, { provider, reason });
    }
  }
  // Every provider failed; if the CPU provider was among them, the model itself is the likely culprit.
  const code = providers.includes("cpu") ? "artifact_corrupt" : "backend_unavailable";
  throw new MmmlError(
    code,
    `Cannot open ONNX model ${from} on any requested provider: ${failures.join("; ")}`,
  );
}

/** Which providers can really open a session here (doctor): a tiny Identity model per provider. */
export async function availableProviders(
  candidates: readonly ProviderName[] = PROVIDERS,
): Promise<{ provider: ProviderName; available: boolean; reason?: string }[]> {
  const model = identityModel();
  const out = [];
  for (const provider of candidates) {
    const absent = providerAbsence(provider);
    if (absent) {
      out.push({ provider, available: false, reason: absent });
      continue;
    }
    try {
      const s = await open(model, provider, 1);
      await s.release();
      out.push({ provider, available: true });
    } catch (err) {
      out.push({ provider, available: false, reason: firstLine(err) });
    }
  }
  return out;
}

/** The onnxruntime-node version in use. */
export function ortVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

function open(model: Uint8Array | string, provider: ProviderName, intraOpThreads: number) {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
  };
  if (intraOpThreads > 0) options.intraOpNumThreads = intraOpThreads;
  // Two calls because create's overloads take a path or bytes, not the union.
  return typeof model === "string"
    ? ort.InferenceSession.create(model, options)
    : ort.InferenceSession.create(model, options);
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split("\n")[0].trim();
}

function meta(m: ort.InferenceSession.ValueMetadata): TensorMeta {
  if (!m.isTensor) throw new MmmlError("unsupported", `Model value "${m.name}" is not a tensor`);
  const type = m.type as TensorData["type"];
  if (!Object.hasOwn(ORT_TO_OIP, type)) {
    throw new MmmlError("unsupported", `Model tensor "${m.name}" has type ${m.type}`);
  }
  return {
    name: m.name,
    datatype: ORT_TO_OIP[type],
    shape: m.shape.map((d) => typeof d === "number" && d >= 0 ? d : -1),
  };
}

/**
 * One rule for every route: an output that is not finite is an error naming the row, never a `null` in
 * JSON (inputs near float32's limit, 3.4e38, overflow the first layer).
 */
function requireFinite(name: string, data: Float32Array | Float64Array, dims: readonly number[]): void {
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(data[i])) continue;
    const perRow = dims.length > 1 ? data.length / Math.max(1, dims[0]) : 1;
    throw new MmmlError(
      "invalid_input",
      `the model's output "${name}" for row ${Math.floor(i / perRow)} is ${
        data[i]
      }: its inputs are beyond what ` +
        `the model computes in float32; send values of the size it was trained on`,
    );
  }
}

function wrap(session: ort.InferenceSession): OnnxRunner {
  const inputs = session.inputMetadata.map(meta);
  const outputs = session.outputMetadata.map(meta);
  return {
    inputs,
    outputs,
    async run(feeds) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const results = await session.run(ortFeeds);
      const out: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(results)) {
        out[name] = {
          type: t.type as TensorData["type"],
          data: t.data as TensorData["data"],
          dims: [...t.dims],
        };
        if (t.type === "float32" || t.type === "float64") requireFinite(name, t.data as Float32Array, t.dims);
      }
      return out;
    },
    close: () => session.release(),
  };
}

/** y = Identity(x), x: float32 [1]; small enough to build here without the exporter. */
function identityModel(): Uint8Array {
  const P = onnx.onnx;
  const info = (name: string) => ({
    name,
    type: { tensorType: { elemType: P.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } },
  });
  return P.ModelProto.encode(P.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "mmml",
    graph: {
      name: "probe",
      node: [{ opType: "Identity", input: ["x"], output: ["y"], name: "id" }],
      input: [info("x")],
      output: [info("y")],
    },
  })).finish();
}
