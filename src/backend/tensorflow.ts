/**
 * The "tensorflow" tfjs backend: TensorFlow's C library through @tensorflow/tfjs-node-gpu (CUDA) or
 * @tensorflow/tfjs-node (CPU). Neither is a dependency of mmml: they need libtensorflow, which their
 * install script downloads, and the GPU build needs CUDA 11.x and cuDNN 8 on the host. A host opts in
 * with `deno task setup:gpu`.
 *
 * The package is looked for in node_modules before anything is imported: a dynamic import of an npm
 * package that is not installed would make Deno fetch it from the registry (slow, or a hang where the
 * network is closed). The import itself is a bare specifier held in a variable, so it resolves through
 * deno.json at run time and is not part of the type-checked or compiled module graph.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { MmmlError } from "../errors.ts";

/** Tried in this order: the CUDA build first. */
export const TENSORFLOW_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;
export type TensorflowPackage = (typeof TENSORFLOW_PACKAGES)[number];

/** How to install the backend; part of every "unavailable" message. */
export const TENSORFLOW_INSTALL_HINT = "run `deno task setup:gpu` (installs @tensorflow/tfjs-node-gpu 4.22 " +
  "and lets its install script download libtensorflow; the GPU build needs an NVIDIA driver, CUDA 11.x " +
  "and cuDNN 8 — for CPU-only TensorFlow install @tensorflow/tfjs-node the same way)";

/** What was found of one package. */
export interface TensorflowPackageState {
  package: TensorflowPackage;
  /** The package folder in node_modules, when present. */
  dir?: string;
  /** Its native addon (lib/napi-v<N>/tfjs_binding.node), written by its install script. */
  binding?: string;
  /** Why it cannot load, when it cannot. */
  problem?: string;
}

/** The loaded backend. */
export interface TensorflowLoad extends Record<string, unknown> {
  package: TensorflowPackage;
  /** The CUDA build runs on a GPU; false when it found none (TensorFlow then runs on the CPU). */
  gpu: boolean;
}

export interface TensorflowOptions {
  /** Folders whose node_modules may hold the packages; defaults to the project folder. */
  roots?: readonly string[];
  /** Imports a package by name; tests pass a fake. */
  importer?: (specifier: string) => Promise<unknown>;
}

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Looks for each package and its native addon on disk, without importing anything. */
export async function findTensorflowPackages(
  { roots = [PROJECT_ROOT] }: Pick<TensorflowOptions, "roots"> = {},
): Promise<TensorflowPackageState[]> {
  const states: TensorflowPackageState[] = [];
  for (const name of TENSORFLOW_PACKAGES) {
    const state: TensorflowPackageState = { package: name };
    for (const root of roots) {
      const dir = join(root, "node_modules", name);
      if (!(await exists(join(dir, "package.json")))) continue;
      state.dir = dir;
      state.binding = await findBinding(dir);
      break;
    }
    if (state.dir === undefined) {
      state.problem = `${name} is not installed (no node_modules/${name} under ${roots.join(", ")})`;
    } else if (state.binding === undefined) {
      state.problem = `${name} is installed but its native addon lib/napi-v*/tfjs_binding.node is missing ` +
        `(its install script, which downloads libtensorflow, did not run)`;
    }
    states.push(state);
  }
  return states;
}

async function findBinding(dir: string): Promise<string | undefined> {
  try {
    for await (const entry of Deno.readDir(join(dir, "lib"))) {
      if (!entry.isDirectory || !entry.name.startsWith("napi-v")) continue;
      const path = join(dir, "lib", entry.name, "tfjs_binding.node");
      if (await exists(path)) return path;
    }
  } catch {
    // No lib/ folder: the addon was never built or downloaded.
  }
  return undefined;
}

/**
 * Imports the first installed package, which registers the "tensorflow" backend (tfjs-node also makes
 * it the current one). Throws `backend_unavailable` naming what is missing for each package and how to install it.
 */
export async function loadTensorflowBackend(
  { roots = [PROJECT_ROOT], importer = (specifier) => import(specifier) }: TensorflowOptions = {},
): Promise<TensorflowLoad> {
  const problems: string[] = [];
  const states = await findTensorflowPackages({ roots });
  for (const state of states) {
    if (state.problem !== undefined) {
      problems.push(state.problem);
      continue;
    }
    try {
      const mod = await importer(state.package) as { findBackend?: (name: string) => unknown };
      const backend = mod.findBackend?.("tensorflow") as { isUsingGpuDevice?: boolean } | null | undefined;
      return { package: state.package, gpu: backend?.isUsingGpuDevice === true };
    } catch (err) {
      const why = (err as Error)?.message?.split("\n")[0] ?? String(err);
      problems.push(`${state.package} is installed but failed to load: ${why}`);
    }
  }
  const summary = problems.length === TENSORFLOW_PACKAGES.length && states.every((s) => s.dir === undefined)
    ? `neither ${TENSORFLOW_PACKAGES.join(" nor ")} is installed (looked in ${
      roots.map((r) => join(r, "node_modules")).join(", ")
    })`
    : problems.join("; ");
  throw new MmmlError(
    "backend_unavailable",
    `The tensorflow backend is not available: ${summary}. To install: ${TENSORFLOW_INSTALL_HINT}`,
    { details: { problems } },
  );
}
