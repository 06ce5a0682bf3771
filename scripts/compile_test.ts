import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile, compileArgs, explainCompileFailure, resolveAssets, RUNTIME_ASSETS } from "./compile.ts";
import type { packSelfExtracting } from "./self_extracting.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** What `deno compile` printed here, where dl.deno.land cannot be reached (Deno 2.9.6). */
const DENORT_FAILURE = `Check cli.ts
Compile cli.ts to mmml
Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
error: Writing deno compile executable to temporary file '/work/main/mmml.tmp-e58c5658264544df'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)
`;

Deno.test("resolveAssets finds every run-time file here, expanding napi-v* to the installed folder", async () => {
  const assets = await resolveAssets(ROOT);
  assert.equal(assets.length, RUNTIME_ASSETS.length);
  for (
    const kernel of [
      "dense_kernel",
      "conv_kernel",
      "conv_kernel_shared",
      "bn_kernel",
      "bn_kernel_shared",
      "pool_kernel",
      "pool_kernel_shared",
    ]
  ) {
    assert.ok(assets.includes(`src/backend/wasm/${kernel}.wasm`), kernel);
  }
  assert.ok(assets.includes("configs/"));
  const ort = assets.find((a) => a.startsWith("node_modules/onnxruntime-node/"))!;
  assert.match(ort, /^node_modules\/onnxruntime-node\/bin\/napi-v\d+\/linux\/x64\/$/);
  const files = [...Deno.readDirSync(join(ROOT, ort))].map((e) => e.name);
  assert.ok(
    files.some((f) => f.endsWith(".node")) && files.some((f) => f.startsWith("libonnxruntime.so")),
    `${files}`,
  );
});

Deno.test("resolveAssets names every pattern that matches nothing", async () => {
  await assert.rejects(
    resolveAssets(ROOT, [
      "src/backend/wasm/dense_kernel.wasm",
      "nowhere/*.wasm",
      "node_modules/nope/bin/napi-v*/",
    ]),
    /run-time files missing under .*: nowhere\/\*\.wasm, node_modules\/nope\/bin\/napi-v\*\/$/,
  );
});

Deno.test("compileArgs bakes in permissions, self-extraction, each include and exclude, and cli.ts last", () => {
  const args = compileArgs(["configs/", "a.wasm"], { output: "out/mmml", excludes: ["x/darwin"] });
  assert.equal(args[0], "compile");
  for (const flag of ["--allow-read", "--allow-ffi", "--allow-net", "--allow-sys", "--self-extracting"]) {
    assert.ok(args.includes(flag), flag);
  }
  assert.deepEqual(args.slice(-3), ["--output", "out/mmml", "cli.ts"]);
  assert.equal(args.filter((a) => a === "--include").length, 2);
  assert.equal(args[args.indexOf("--exclude") + 1], "x/darwin");
});

Deno.test("explainCompileFailure turns the runtime download failure into one line naming denort and DENORT_BIN", () => {
  const line = explainCompileFailure(DENORT_FAILURE);
  assert.equal(line.split("\n").length, 1);
  assert.match(
    line,
    /^deno compile cannot fetch its runtime \(denort\) from https:\/\/dl\.deno\.land\/.*\.zip /,
  );
  assert.match(line, /\(dns error: failed to lookup address information: Name or service not known\)/);
  assert.match(line, /; DENORT_BIN=\/path\/to\/denort gives it a local one$/);
  assert.equal(
    explainCompileFailure("Check cli.ts\nerror: Type checking failed.\n"),
    "deno compile failed: error: Type checking failed.",
  );
});

/** A stand-in for deno that fails the way `deno compile` does, printing `stderr`. */
async function failingDeno(dir: string, stderr: string): Promise<string> {
  const fake = join(dir, "deno");
  await Deno.writeTextFile(join(dir, "stderr.txt"), stderr);
  await Deno.writeTextFile(fake, `#!/bin/sh\ncat "${join(dir, "stderr.txt")}" >&2\nexit 1\n`);
  await Deno.chmod(fake, 0o755);
  return fake;
}

Deno.test("compile falls back to the self-extracting build when deno compile cannot fetch denort", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_compile_" });
  try {
    const deno = await failingDeno(dir, DENORT_FAILURE);
    const lines: string[] = [];
    const packed: Parameters<typeof packSelfExtracting>[0][] = [];
    const code = await compile({
      root: ROOT,
      output: join(dir, "mmml"),
      deno,
      log: (l) => lines.push(l),
      findLibraries: () => Promise.resolve({ "libdnnl.so.2": "/usr/lib/libdnnl.so.2.6" }),
      pack: (o) => {
        packed.push(o);
        return Promise.resolve({
          output: o.output,
          bytes: 47e6,
          sha256: "ab".repeat(32),
          files: 3,
          unpackedBytes: 1e8,
        });
      },
    });
    assert.equal(code, 0);
    assert.equal(lines.length, 3, lines.join("\n"));
    assert.match(lines[0], /^compile: deno compile cannot fetch its runtime \(denort\)/);
    assert.match(lines[1], /building a self-extracting \.\/mmml instead/);
    assert.match(lines[2], /^compile: wrote .*mmml \(44\.8 MiB, self-extracting; 3 files/);
    assert.equal(packed.length, 1);
    assert.equal(packed[0].output, join(dir, "mmml"));
    assert.equal(packed[0].deno, deno, "the runtime that compiles is the one shipped");
    assert.ok(packed[0].permissions.includes("--allow-ffi"));
    assert.deepEqual(packed[0].nativeLibraries, { "libdnnl.so.2": "/usr/lib/libdnnl.so.2.6" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compile says in one line that the file carries no oneDNN when the build host has none", async () => {
  const lines: string[] = [];
  const code = await compile({
    root: ROOT,
    output: "unused",
    selfExtracting: true,
    log: (l) => lines.push(l),
    findLibraries: () => Promise.resolve({}),
    pack: (o) =>
      Promise.resolve({ output: o.output, bytes: 1, sha256: "ab".repeat(32), files: 1, unpackedBytes: 1 }),
  });
  assert.equal(code, 0);
  assert.match(
    lines[0],
    /^compile: no libdnnl\.so\.2 here, so the file carries no oneDNN: .*apt-get install libdnnl2/,
  );
});

Deno.test("compile prints one line and returns 1 when deno compile fails for another reason", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_compile_" });
  try {
    const deno = await failingDeno(dir, "Check cli.ts\nerror: Type checking failed.\n");
    const lines: string[] = [];
    const code = await compile({
      root: ROOT,
      output: join(dir, "mmml"),
      deno,
      log: (l) => lines.push(l),
      pack: () => Promise.reject(new Error("must not pack")),
    });
    assert.equal(code, 1);
    assert.deepEqual(lines, ["compile: deno compile failed: error: Type checking failed."]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
