/**
 * `deno task compile`: builds ./mmml, one executable holding the program and every file it reads at run
 * time. Modules are found by `deno compile` itself; files read by path are listed in RUNTIME_ASSETS and
 * passed with --include:
 * - tfjs's .wasm binaries (setWasmPaths points tfjs at them beside the package's entry point);
 * - the threaded wasm build and its worker (wasm_threads.ts reads the factory as text and starts
 *   wasm_threads_worker.ts as a worker, which deno compile only embeds when named);
 * - the fused dense kernel (read relative to dense_trainer.ts's import.meta.url);
 * - default configs and the iris fixture `mmml train` falls back to;
 * - ONNX Runtime's native addon and the libonnxruntime.so it links against.
 *
 * Inside a compiled binary import.meta.url points into the embedded file system, so code that reads files
 * relative to its module (all of the above) keeps working. Native libraries are the exception: Deno
 * extracts a .node addon alone to a temporary folder, without the libraries beside it, so ONNX Runtime
 * could not find libonnxruntime.so. --self-extracting makes the binary unpack everything once into a
 * hidden folder beside itself and run from there, so the addon finds its library through its rpath.
 *
 * `deno compile` downloads its runtime (denort) on first use. Where that host cannot be reached (and no
 * DENORT_BIN=/path/to/denort, Deno's own variable, names a local one) the task says so in one line and
 * builds the same program another way: a self-extracting ./mmml (scripts/self_extracting.ts) holding the
 * Deno runtime that runs this task. `deno task compile --self-extracting` builds that one directly.
 */
import { fileURLToPath } from "node:url";
import { join, relative, resolve } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { findNativeLibraries, packSelfExtracting } from "./self_extracting.ts";

/** Permissions baked into the binary: those of `deno task mmml`, plus running nvidia-smi for doctor. */
export const COMPILE_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-net",
  "--allow-sys",
  "--allow-run",
] as const;

/** Files and folders the program reads by path; `*` matches one path segment. */
export const RUNTIME_ASSETS = [
  "node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
  "node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
  "node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
  "node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js",
  "node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm",
  "node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js",
  "src/backend/wasm/threads_worker.ts",
  // Workers deno compile embeds only when named: the training loader's and the server's image decoders.
  "src/preprocess/image_decode_worker.ts",
  "src/inference/image_decode_worker.ts",
  "src/backend/wasm/dense_kernel.wasm",
  "src/backend/wasm/conv_kernel.wasm",
  "src/backend/wasm/conv_kernel_shared.wasm",
  "src/backend/wasm/bn_kernel.wasm",
  "src/backend/wasm/bn_kernel_shared.wasm",
  "src/backend/wasm/pool_kernel.wasm",
  "src/backend/wasm/pool_kernel_shared.wasm",
  "configs/",
  "fixtures/iris.csv",
  "node_modules/onnxruntime-node/bin/napi-v*/linux/x64/",
] as const;

/** Embedded by default with node_modules but never loaded on Linux x64: ONNX Runtime's other platforms. */
export const FOREIGN_ASSETS = [
  "node_modules/onnxruntime-node/bin/napi-v*/darwin/",
  "node_modules/onnxruntime-node/bin/napi-v*/win32/",
  "node_modules/onnxruntime-node/bin/napi-v*/linux/arm64/",
] as const;

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Expands RUNTIME_ASSETS against `root`; throws naming every pattern that matches nothing. */
export async function resolveAssets(
  root: string,
  patterns: readonly string[] = RUNTIME_ASSETS,
): Promise<string[]> {
  const found: string[] = [];
  const missing: string[] = [];
  for (const pattern of patterns) {
    const matches = await expand(root, pattern.split("/").filter(Boolean));
    if (matches.length === 0) missing.push(pattern);
    found.push(...matches.map((m) => (pattern.endsWith("/") ? `${m}/` : m)));
  }
  if (missing.length) {
    throw new Error(
      `run-time files missing under ${root} (run \`deno install\` first?): ${missing.join(", ")}`,
    );
  }
  return found;
}

async function expandAll(root: string, patterns: readonly string[]): Promise<string[]> {
  return (await Promise.all(patterns.map((p) => expand(root, p.split("/").filter(Boolean))))).flat();
}

/** --exclude only matches the real paths under node_modules/.deno, not the package symlinks. */
async function realPaths(root: string, paths: string[]): Promise<string[]> {
  const base = await Deno.realPath(root);
  return await Promise.all(paths.map(async (p) => relative(base, await Deno.realPath(join(root, p)))));
}

async function expand(root: string, segments: string[], prefix = ""): Promise<string[]> {
  if (segments.length === 0) return [prefix];
  const [head, ...rest] = segments;
  if (!head.includes("*")) {
    const path = prefix ? `${prefix}/${head}` : head;
    try {
      await Deno.stat(join(root, path));
    } catch {
      return [];
    }
    return expand(root, rest, path);
  }
  const re = new RegExp(
    `^${head.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`,
  );
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(join(root, prefix))) {
      if (re.test(entry.name)) {
        out.push(...await expand(root, rest, prefix ? `${prefix}/${entry.name}` : entry.name));
      }
    }
  } catch {
    return [];
  }
  return out.sort();
}

/** The `deno compile` arguments (paths relative to the project root). */
export function compileArgs(
  includes: readonly string[],
  { output = "mmml", excludes = [] }: { output?: string; excludes?: readonly string[] } = {},
): string[] {
  return [
    "compile",
    ...COMPILE_PERMISSIONS,
    "--self-extracting",
    ...includes.flatMap((path) => ["--include", path]),
    ...excludes.flatMap((path) => ["--exclude", path]),
    "--output",
    output,
    "cli.ts",
  ];
}

/**
 * One line for a failed `deno compile`: the runtime download named plainly when that is what failed,
 * else deno's own first error line.
 */
export function explainCompileFailure(stderr: string): string {
  const text = stderr;
  const url = text.match(/https?:\/\/\S*denort\S*\.zip/)?.[0];
  if (url || runtimeUnreachable(text)) {
    const where = url ? ` from ${url.replace(/\)+$/, "")}` : "";
    const why = text.match(/(dns error[^\n]*|Connection refused|timed out|certificate[^\n]*)/i)?.[1];
    return `deno compile cannot fetch its runtime (denort)${where}${why ? ` (${why.trim()})` : ""}; ` +
      `DENORT_BIN=/path/to/denort gives it a local one`;
  }
  const first = text.split("\n").find((l) => /error/i.test(l))?.trim() ?? text.trim().split("\n")[0] ?? "";
  return `deno compile failed: ${first || "no error output"}`;
}

/** Whether `deno compile` failed only because it could not fetch its runtime. */
export function runtimeUnreachable(stderr: string): boolean {
  return /denort|Setting up base binary/i.test(stderr);
}

/**
 * Builds ./mmml: `deno compile` where it can fetch its runtime, else (or with `selfExtracting`) the
 * self-extracting file. Returns the exit status; prints one line per outcome.
 */
export async function compile(
  {
    root = ROOT,
    output = "mmml",
    deno = Deno.execPath(),
    selfExtracting = false,
    log = (line: string) => console.error(line),
    pack = packSelfExtracting,
    findLibraries = findNativeLibraries,
  }: {
    root?: string;
    output?: string;
    /** The deno binary that compiles, and that the self-extracting file carries. */
    deno?: string;
    /** Skip `deno compile`. */
    selfExtracting?: boolean;
    /** Where the one-line outcomes go (stderr). */
    log?: (line: string) => void;
    /** Builds the self-extracting file (passed in by tests). */
    pack?: typeof packSelfExtracting;
    /** Finds the oneDNN libraries the file carries (passed in by tests). */
    findLibraries?: typeof findNativeLibraries;
  } = {},
): Promise<number> {
  let includes: string[];
  let excludes: string[];
  try {
    includes = await resolveAssets(root);
    excludes = await realPaths(root, await expandAll(root, FOREIGN_ASSETS));
  } catch (err) {
    log(`compile: ${(err as Error).message}`);
    return 1;
  }
  if (!selfExtracting) {
    const result = await new Deno.Command(deno, {
      args: compileArgs(includes, { output, excludes }),
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    if (result.code === 0) {
      log(`compile: wrote ${resolve(root, output)} (${includes.length} run-time assets embedded)`);
      return 0;
    }
    log(`compile: ${explainCompileFailure(stderr)}`);
    if (!runtimeUnreachable(stderr)) return 1;
    log("compile: building a self-extracting ./mmml instead (the Deno runtime running this task inside)");
  }
  const nativeLibraries = await findLibraries();
  if (!nativeLibraries["libdnnl.so.2"]) {
    log(
      "compile: no libdnnl.so.2 here, so the file carries no oneDNN: it uses the host's (apt-get install libdnnl2)",
    );
  }
  try {
    const packed = await pack({
      root,
      output: resolve(root, output),
      deno,
      version: denoJson.version,
      permissions: COMPILE_PERMISSIONS,
      nativeLibraries,
    });
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    log(
      `compile: wrote ${packed.output} (${mib(packed.bytes)} MiB, self-extracting; ${packed.files} files, ` +
        `${mib(packed.unpackedBytes)} MiB unpacked; payload sha256 ${packed.sha256.slice(0, 16)})`,
    );
    return 0;
  } catch (err) {
    log(`compile: the self-extracting build failed: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  const unknown = Deno.args.filter((a) => a !== "--self-extracting");
  if (unknown.length) {
    console.error(`compile: unknown argument ${unknown[0]} (the one option is --self-extracting)`);
    Deno.exit(2);
  }
  Deno.exit(await compile({ selfExtracting: Deno.args.includes("--self-extracting") }));
}
