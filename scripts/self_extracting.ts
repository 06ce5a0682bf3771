/**
 * The one file where `deno compile` cannot fetch its runtime (denort): a self-extracting executable made
 * of scripts/self_extracting_header.sh and an xz-compressed tar payload holding
 *   deno        the Deno runtime running this build (the npm package's binary, 96 MB, ~30 MB as xz);
 *   app/        cli.ts, server.ts, deno.json, deno.lock, src/ without tests, configs/, the iris demo;
 *   app/node_modules  the installed npm packages, pruned to what runs (see keepPackageFile): source maps,
 *               type declarations and the browser bundles go, the tfjs packages keep the one Node bundle
 *               Deno loads, ONNX Runtime keeps only this platform's addon and library.
 *   app/lib/    the build host's oneDNN 2.x (libdnnl.so.2, ~7 MB as xz) and the OpenMP and OpenCL loaders it
 *               links, which the native backend loads in preference to the host's (src/backend/native/
 *               dnnl_lib.ts): the one file gets the fast CPU path on hosts with another oneDNN or none.
 * The program runs exactly as `deno task mmml` runs it, from an unpacked tree, offline (`--cached-only`:
 * node_modules and the lockfile are all Deno needs).
 */
import { dirname, join, relative } from "node:path";
import { fingerprintBytes } from "../src/data/fingerprint.ts";

/** Where ONNX Runtime keeps this platform's native files, as `napi-v*\/<os>/<arch>`. */
export function nativePlatform(os: string = Deno.build.os, arch: string = Deno.build.arch): string {
  const cpu = arch === "x86_64" ? "x64" : arch === "aarch64" ? "arm64" : arch;
  const system = os === "windows" ? "win32" : os;
  return `${system}/${cpu}`;
}

/** Packages whose files are types only: kept as their package.json. */
const TYPES_ONLY = /^(@types\/.*|type-fest|typescript)$/;
/** Never loaded by the program: core-js (a browser polyfill tfjs names) and protobufjs' CLI and bundles. */
const UNUSED: Record<string, RegExp> = {
  "core-js": /./,
  "protobufjs": /^(cli|dist)\//,
};
/** Files nothing reads at run time, in any package. */
const DOCS_AND_TYPES =
  /(\.map|\.d\.[cm]?ts|\.md|\.markdown|\.html|\.tsbuildinfo|\.flow)$|(^|\/)tsconfig[^/]*\.json$/;

export interface PackageFacts {
  /** The package's name, e.g. `@tensorflow/tfjs-core`. */
  name: string;
  /** Its package.json `main`, normalised (no leading `./`). */
  main?: string;
  /** The files its package.json `bin` names (Deno links them when it sets node_modules up). */
  bins?: string[];
}

/**
 * Whether a file of an installed npm package goes into the payload. `file` is relative to the package
 * folder. The tfjs packages' Node entry point (`main`, e.g. dist/tf-core.node.js) is one CommonJS bundle,
 * so it, the package.json files and the wasm backend's binaries are all a tfjs package needs.
 */
export function keepPackageFile(pkg: PackageFacts, file: string, platform = nativePlatform()): boolean {
  if (file === "package.json" || file.endsWith("/package.json") || pkg.bins?.includes(file)) return true;
  if (TYPES_ONLY.test(pkg.name) || UNUSED[pkg.name]?.test(file)) return false;
  if (DOCS_AND_TYPES.test(file)) return false;
  if (pkg.name.startsWith("@tensorflow/tfjs-node")) return false;
  if (pkg.name.startsWith("@tensorflow/")) {
    if (file === pkg.main) return true;
    return pkg.name === "@tensorflow/tfjs-backend-wasm" &&
      (/^dist\/[^/]+\.wasm$/.test(file) || /^wasm-out\/[^/]+\.(js|wasm)$/.test(file));
  }
  if (pkg.name === "onnxruntime-node") {
    const native = file.match(/^bin\/napi-v\d+\/([^/]+\/[^/]+)\//);
    if (native) return native[1] === platform;
  }
  return true;
}

/** Files of the project that go into app/: the program without its tests, configs and the demo data. */
export function keepProjectFile(file: string): boolean {
  if (["cli.ts", "server.ts", "deno.json", "deno.lock", "fixtures/iris.csv"].includes(file)) return true;
  if (file.startsWith("configs/")) return true;
  return file.startsWith("src/") && !file.endsWith("_test.ts") && /\.(ts|wasm|json)$/.test(file) &&
    !file.includes("/testdata/");
}

interface Copied {
  files: number;
  bytes: number;
}

async function walk(dir: string, base: string, visit: (rel: string, entry: Deno.DirEntry) => Promise<void>) {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    const rel = relative(base, path);
    if (entry.isDirectory) await walk(path, base, visit);
    else await visit(rel, entry);
  }
}

async function copyFile(from: string, to: string, tally: Copied): Promise<void> {
  await Deno.mkdir(dirname(to), { recursive: true });
  await Deno.copyFile(from, to);
  tally.files++;
  tally.bytes += (await Deno.stat(to)).size;
}

/** Copies node_modules, symlinks as symlinks, pruning every package's files with keepPackageFile. */
export async function copyNodeModules(from: string, to: string, tally: Copied): Promise<void> {
  const facts = new Map<string, PackageFacts>();
  const packageOf = async (rel: string): Promise<[string, PackageFacts] | undefined> => {
    // .deno/<id>/node_modules/<name or @scope/name>/<file>
    const m = rel.match(/^\.deno\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (!m) return undefined;
    const root = rel.slice(0, m[0].length - 1);
    if (!facts.has(root)) {
      const info: PackageFacts = { name: m[1] };
      const bare = (path: unknown) => typeof path === "string" ? path.replace(/^\.\//, "") : undefined;
      try {
        const json = JSON.parse(await Deno.readTextFile(join(from, root, "package.json")));
        info.main = bare(json.main);
        const bin = typeof json.bin === "string" ? [json.bin] : Object.values(json.bin ?? {});
        info.bins = bin.map(bare).filter((b): b is string => b !== undefined);
      } catch { /* a package without package.json keeps everything but docs */ }
      facts.set(root, info);
    }
    return [root, facts.get(root)!];
  };
  await walk(from, from, async (rel, entry) => {
    // Deno's locks on node_modules come and go while other deno processes run (the suite's, in parallel).
    if (rel.startsWith(".bin/") || rel.startsWith(".deno/.deno.lock")) return;
    const target = join(to, rel);
    if (entry.isSymlink) {
      await Deno.mkdir(dirname(target), { recursive: true });
      await Deno.symlink(await Deno.readLink(join(from, rel)), target);
      return;
    }
    const pkg = await packageOf(rel);
    if (pkg && !keepPackageFile(pkg[1], relative(pkg[0], rel))) return;
    await copyFile(join(from, rel), target, tally);
  });
}

/** The launcher with its placeholders filled. */
export function launcher(
  template: string,
  o: { version: string; sha256: string; bytes: number; permissions: readonly string[] },
): string {
  return template.replaceAll("@VERSION@", o.version).replaceAll("@SHA256@", o.sha256)
    .replaceAll("@BYTES@", String(o.bytes)).replaceAll("@PERMISSIONS@", o.permissions.join(" "));
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await file.write(bytes.subarray(off));
}

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "null", stderr: "piped" }).output();
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** The libraries the native backend needs, by soname; libdnnl.so.2 first. */
export const NATIVE_LIBRARIES = ["libdnnl.so.2", "libgomp.so.1", "libOpenCL.so.1"] as const;

/** Where this host keeps each of NATIVE_LIBRARIES (from `ldconfig -p`); absent ones are left out. */
export async function findNativeLibraries(): Promise<Record<string, string>> {
  let listing = "";
  try {
    const out = await new Deno.Command("ldconfig", { args: ["-p"], stdout: "piped", stderr: "null" })
      .output();
    listing = new TextDecoder().decode(out.stdout);
  } catch { /* no ldconfig: nothing found */ }
  const found: Record<string, string> = {};
  for (const name of NATIVE_LIBRARIES) {
    const line = listing.split("\n").find((l) => l.trim().startsWith(`${name} `) && l.includes("x86-64"));
    const path = line?.split("=>")[1]?.trim();
    if (path) found[name] = path;
  }
  return found;
}

export interface PackResult {
  output: string;
  bytes: number;
  sha256: string;
  files: number;
  unpackedBytes: number;
}

/** Builds the self-extracting `output` from the project at `root` (node_modules installed). */
export async function packSelfExtracting(
  { root, output, deno, version, permissions, nativeLibraries = {} }: {
    root: string;
    output: string;
    /** The Deno runtime to ship (the one running this build). */
    deno: string;
    version: string;
    /** `deno run` flags baked into the launcher. */
    permissions: readonly string[];
    /** Libraries to carry in app/lib, by the name they are loaded as (findNativeLibraries). */
    nativeLibraries?: Record<string, string>;
  },
): Promise<PackResult> {
  const staging = await Deno.makeTempDir({ prefix: "mmml_pack_" });
  const tmpOut = `${output}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const tally: Copied = { files: 0, bytes: 0 };
    await copyFile(deno, join(staging, "deno"), tally);
    await Deno.chmod(join(staging, "deno"), 0o755);
    for (const top of ["cli.ts", "server.ts", "deno.json", "deno.lock", "fixtures/iris.csv"]) {
      await copyFile(join(root, top), join(staging, "app", top), tally);
    }
    for (const dir of ["src", "configs"]) {
      await walk(join(root, dir), root, async (rel, entry) => {
        if (entry.isFile && keepProjectFile(rel)) {
          await copyFile(join(root, rel), join(staging, "app", rel), tally);
        }
      });
    }
    await copyNodeModules(join(root, "node_modules"), join(staging, "app", "node_modules"), tally);
    for (const [name, path] of Object.entries(nativeLibraries)) {
      await copyFile(path, join(staging, "app", "lib", name), tally); // the file a symlink names
    }
    const payload = join(staging, "..", `${crypto.randomUUID()}.tar.xz`);
    try {
      // Reproducible: sorted names, no owners, one mtime. xz -9 in 48 MiB blocks on two threads: ~1 minute here.
      await run("sh", [
        "-c",
        `tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - . | xz -9 -T2 --block-size=48MiB -c > '${payload}'`,
      ], staging);
      const bytes = await Deno.readFile(payload);
      const sha256 = await fingerprintBytes(bytes);
      const template = await Deno.readTextFile(new URL("./self_extracting_header.sh", import.meta.url));
      const header = new TextEncoder().encode(
        launcher(template, { version, sha256, bytes: bytes.length, permissions }),
      );
      const file = await Deno.open(tmpOut, { write: true, create: true, truncate: true, mode: 0o755 });
      try {
        await writeAll(file, header);
        await writeAll(file, bytes);
      } finally {
        file.close();
      }
      await Deno.chmod(tmpOut, 0o755);
      await Deno.rename(tmpOut, output);
      return {
        output,
        bytes: header.length + bytes.length,
        sha256,
        files: tally.files,
        unpackedBytes: tally.bytes,
      };
    } finally {
      await Deno.remove(payload).catch(() => {});
    }
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    await Deno.remove(tmpOut).catch(() => {});
  }
}
