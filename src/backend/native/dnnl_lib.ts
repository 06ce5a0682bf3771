/**
 * The one file that loads oneDNN (`libdnnl.so.2`, the library Debian's PyTorch links) through Deno FFI,
 * for the native CPU backend. It binds oneDNN's 2.x C API (descriptors initialised in caller memory);
 * 3.x changed that API, so a host with only `libdnnl.so.3` is told so by name. Enum values and struct
 * sizes come from oneDNN 2.6's headers (`dnnl_types.h`); descriptor buffers are sized generously, as
 * only the library reads them.
 */
import { MmmlError } from "../../errors.ts";

/** Values from oneDNN 2.6's dnnl_types.h. */
export const DNNL = Object.freeze({
  f32: 3,
  tagAny: 1,
  a: 2,
  ab: 3,
  nhwc: 20,
  hwio: 30,
  hwigo: 33,
  forwardTraining: 64,
  forwardInference: 96,
  backward: 128,
  convDirect: 1,
  eltRelu: 31,
  eltLogistic: 175,
  eltLogisticUseDst: 260,
  eltSwish: 223,
  eltSquare: 79,
  eltSqrt: 111,
  poolMax: 511,
  poolAvgExcludePadding: 1023,
  binaryAdd: 131056,
  binaryMul: 131057,
  binarySub: 131061,
  binaryDiv: 131060,
  reductionSum: 196596,
  reductionMean: 196598,
  argSrc: 1,
  argSrc1: 2,
  argDst: 17,
  argWeights: 33,
  argBias: 41,
  argMean: 49,
  argVariance: 50,
  argScale: 51,
  argShift: 52,
  argWorkspace: 64,
  argScratchpad: 80,
  argDiffSrc: 129,
  argDiffDst: 145,
  argDiffWeights: 161,
  argDiffScale: 255,
  argDiffShift: 256,
  qImplInfo: 8,
  qSrcMd: 129,
  qDiffSrcMd: 130,
  qWeightsMd: 131,
  qDiffWeightsMd: 132,
  qDstMd: 133,
  qDiffDstMd: 134,
  qWorkspaceMd: 135,
  qScratchpadMd: 136,
  useScale: 8,
  useShift: 16,
});

/** sizeof(dnnl_memory_desc_t) in 2.x; an op descriptor buffer larger than any of 2.6's (conv: 5976). */
export const MD_BYTES = 696;
export const OP_DESC_BYTES = 8192;

const P = "pointer" as const, B = "buffer" as const;
const SYMBOLS = {
  dnnl_version: { parameters: [], result: P },
  dnnl_engine_create: { parameters: [B, "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: [B, P, "u32"], result: "i32" },
  dnnl_memory_desc_init_by_tag: { parameters: [B, "i32", B, "i32", "i32"], result: "i32" },
  dnnl_memory_desc_init_by_strides: { parameters: [B, "i32", B, "i32", B], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: [B], result: "usize" },
  dnnl_memory_desc_equal: { parameters: [B, B], result: "i32" },
  dnnl_dilated_convolution_forward_desc_init: {
    parameters: [B, "i32", "i32", B, B, B, B, B, B, B, B],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_data_desc_init: {
    parameters: [B, "i32", B, B, B, B, B, B, B],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_weights_desc_init: {
    parameters: [B, "i32", B, B, B, B, B, B, B, B],
    result: "i32",
  },
  dnnl_batch_normalization_forward_desc_init: { parameters: [B, "i32", B, "f32", "u32"], result: "i32" },
  dnnl_batch_normalization_backward_desc_init: {
    parameters: [B, "i32", B, B, "f32", "u32"],
    result: "i32",
  },
  dnnl_eltwise_forward_desc_init: { parameters: [B, "i32", "i32", B, "f32", "f32"], result: "i32" },
  dnnl_eltwise_backward_desc_init: { parameters: [B, "i32", B, B, "f32", "f32"], result: "i32" },
  dnnl_pooling_v2_forward_desc_init: { parameters: [B, "i32", "i32", B, B, B, B, B, B, B], result: "i32" },
  dnnl_pooling_v2_backward_desc_init: { parameters: [B, "i32", B, B, B, B, B, B, B], result: "i32" },
  dnnl_binary_desc_init: { parameters: [B, "i32", B, B, B], result: "i32" },
  dnnl_reduction_desc_init: { parameters: [B, "i32", B, B, "f32", "f32"], result: "i32" },
  dnnl_primitive_attr_create: { parameters: [B], result: "i32" },
  dnnl_primitive_attr_set_scratchpad_mode: { parameters: [P, "i32"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: [P, P], result: "i32" },
  dnnl_post_ops_create: { parameters: [B], result: "i32" },
  dnnl_post_ops_append_eltwise: { parameters: [P, "f32", "i32", "f32", "f32"], result: "i32" },
  dnnl_primitive_desc_create: { parameters: [B, B, P, P, P], result: "i32" },
  dnnl_primitive_desc_query: { parameters: [P, "i32", "i32", B], result: "i32" },
  dnnl_primitive_desc_query_md: { parameters: [P, "i32", "i32"], result: P },
  dnnl_reorder_primitive_desc_create: { parameters: [B, B, P, B, P, P], result: "i32" },
  dnnl_primitive_create: { parameters: [B, P], result: "i32" },
  dnnl_memory_create: { parameters: [B, B, P, P], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: [P, P], result: "i32" },
  dnnl_primitive_execute: { parameters: [P, P, "i32", B], result: "i32" },
  dnnl_stream_wait: { parameters: [P], result: "i32" },
} as const;

export type DnnlSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** A loaded oneDNN: its functions, one CPU engine and stream, and the attributes every primitive uses. */
export interface Dnnl {
  symbols: DnnlSymbols;
  version: string;
  path: string;
  engine: Deno.PointerObject;
  stream: Deno.PointerObject;
  /** Scratchpad in user mode: primitives share one buffer instead of allocating per call. */
  attr: Deno.PointerObject;
  /** OpenMP's thread count for the calls this thread makes (oneDNN's parallel regions). */
  threads(): number;
  setThreads(n: number): void;
  /** OpenMP's thread count when the library loaded (every core, or OMP_NUM_THREADS). */
  defaultThreads: number;
}

/** The file names tried, in order; the first is the 2.x API this binding speaks. */
export const DNNL_LIBRARY = "libdnnl.so.2";
const NEWER_API = ["libdnnl.so.3"];

export const DNNL_INSTALL_HINT =
  "install oneDNN 2.x: `apt-get install libdnnl2` (Debian bookworm; Ubuntu jammy: libdnnl2), or put " +
  `${DNNL_LIBRARY} on LD_LIBRARY_PATH`;

let loaded: Dnnl | null = null;

/**
 * The one-file mmml carries the oneDNN it was built and tested with in `lib/` beside the program
 * (scripts/self_extracting.ts), with the OpenMP and OpenCL loaders it links; a clone has no such folder
 * and uses the host's. The libraries it links are opened first by path, so the dynamic loader finds them
 * already loaded (by soname) when it resolves libdnnl's dependencies.
 */
const BUNDLE = new URL("../../../lib/", import.meta.url);
const BUNDLED_DEPENDENCIES = ["libgomp.so.1", "libOpenCL.so.1"];
const keepOpen: Deno.DynamicLibrary<Record<string, never>>[] = [];

function bundledLibrary(): string | null {
  if (BUNDLE.protocol !== "file:") return null;
  const at = (name: string) => decodeURIComponent(new URL(name, BUNDLE).pathname);
  try {
    Deno.statSync(at(DNNL_LIBRARY));
  } catch {
    return null;
  }
  for (const dep of BUNDLED_DEPENDENCIES) {
    try {
      keepOpen.push(Deno.dlopen(at(dep), {}));
    } catch { /* absent from the bundle, or the host's is used */ }
  }
  return at(DNNL_LIBRARY);
}

/** Checks a oneDNN status; anything but dnnl_success (0) throws with the call named. */
export function check(status: number, what: string): void {
  if (status !== 0) throw new MmmlError("internal", `oneDNN ${what} failed (dnnl_status_t ${status})`);
}

/**
 * A primitive attribute with the scratchpad in user mode (primitives share one buffer instead of
 * allocating per call), the base of every primitive's attributes.
 */
export function scratchpadAttr(s: DnnlSymbols): Deno.PointerObject {
  const attr = outPointer((o) => s.dnnl_primitive_attr_create(o), "primitive_attr_create");
  check(
    s.dnnl_primitive_attr_set_scratchpad_mode(attr, 1 /* dnnl_scratchpad_mode_user */),
    "set_scratchpad_mode",
  );
  return attr;
}

/** Calls a function that writes one pointer into its first argument and returns that pointer. */
export function outPointer(fn: (out: BigUint64Array) => number, what: string): Deno.PointerObject {
  const out = new BigUint64Array(1);
  check(fn(out), what);
  const ptr = Deno.UnsafePointer.create(out[0]);
  if (ptr === null) throw new MmmlError("internal", `oneDNN ${what} returned a null handle`);
  return ptr;
}

function canOpen(name: string): boolean {
  try {
    Deno.dlopen(name, { dnnl_version: SYMBOLS.dnnl_version }).close();
    return true;
  } catch {
    return false;
  }
}

const OMP = {
  omp_get_max_threads: { parameters: [], result: "i32" },
  omp_set_num_threads: { parameters: ["i32"], result: "void" },
} as const;

/** libgomp, when oneDNN was built on OpenMP (Debian's is); null for another threading runtime. */
function openOmp(): Deno.DynamicLibrary<typeof OMP>["symbols"] | null {
  try {
    return Deno.dlopen("libgomp.so.1", OMP).symbols;
  } catch {
    return null;
  }
}

/**
 * Why libdnnl.so.2 did not load, from the loader's message: absent (and whether a 3.x library is there
 * instead, which `canOpen` checks), or present but unloadable (a broken file, a missing dependency).
 */
export function describeLoadFailure(msg: string, canOpen: (name: string) => boolean): string {
  if (!/No such file|cannot open shared object/i.test(msg)) {
    return `${DNNL_LIBRARY} was found but does not load: ${msg.split("\n")[0]}`;
  }
  const newer = NEWER_API.find(canOpen);
  return newer
    ? `only ${newer} (oneDNN 3.x, whose C API this build does not bind) was found`
    : `${DNNL_LIBRARY} (oneDNN 2.x) was not found`;
}

/**
 * Loads oneDNN once per process. Throws backend_unavailable naming what is missing: no library, only a
 * 3.x library (a different C API), or no FFI permission.
 */
export function loadDnnl(): Dnnl {
  if (loaded) return loaded;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  const bundled = bundledLibrary();
  const path = bundled ?? DNNL_LIBRARY;
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch (err) {
    const msg = (err as Error).message;
    if (/NotCapable|Requires ffi/.test(msg) || (err as Error).name === "NotCapable") {
      throw new MmmlError("backend_unavailable", `The native backend needs FFI access (--allow-ffi): ${msg}`);
    }
    const found = describeLoadFailure(msg, canOpen);
    if (bundled) {
      throw new MmmlError(
        "backend_unavailable",
        `The native backend is not available: the bundled ${bundled} does not load here: ${
          msg.split("\n")[0]
        }`,
      );
    }
    throw new MmmlError("backend_unavailable", `The native backend is not available: ${found}`, {
      details: { library: DNNL_LIBRARY, error: msg.split("\n")[0] },
    });
  }
  const s = lib.symbols;
  const v = new Deno.UnsafePointerView(s.dnnl_version()!);
  const [major, minor, patch] = [v.getInt32(0), v.getInt32(4), v.getInt32(8)];
  if (major !== 2) {
    lib.close();
    throw new MmmlError(
      "backend_unavailable",
      `The native backend is not available: ${DNNL_LIBRARY} reports oneDNN ${major}.${minor}, expected 2.x`,
    );
  }
  const engine = outPointer((o) => s.dnnl_engine_create(o, 1, /* dnnl_cpu */ 0n), "engine_create");
  const stream = outPointer((o) => s.dnnl_stream_create(o, engine, 1 /* default flags */), "stream_create");
  const attr = scratchpadAttr(s);
  // Debian's oneDNN runs on OpenMP (libgomp), already loaded with it; its thread count is per calling
  // thread, and every oneDNN call comes from this one.
  const omp = openOmp();
  loaded = {
    symbols: s,
    version: `${major}.${minor}.${patch}`,
    path,
    engine,
    stream,
    attr,
    threads: () => omp?.omp_get_max_threads() ?? 0,
    defaultThreads: omp?.omp_get_max_threads() ?? 0,
    setThreads: (n) => n > 0 && omp?.omp_set_num_threads(n),
  };
  return loaded;
}
