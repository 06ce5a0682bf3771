import assert from "node:assert/strict";
import { join } from "node:path";
import {
  copyNodeModules,
  keepPackageFile,
  keepProjectFile,
  launcher,
  nativePlatform,
} from "./self_extracting.ts";

const core = { name: "@tensorflow/tfjs-core", main: "dist/tf-core.node.js" };
const wasm = { name: "@tensorflow/tfjs-backend-wasm", main: "dist/tf-backend-wasm.node.js" };

Deno.test("a tfjs package keeps its Node bundle and package.json files; the wasm backend keeps its binaries", () => {
  assert.equal(keepPackageFile(core, "dist/tf-core.node.js"), true);
  assert.equal(keepPackageFile(core, "package.json"), true);
  assert.equal(keepPackageFile(core, "dist/package.json"), true);
  for (const other of ["dist/tf-core.js", "dist/tf-core.min.js", "dist/index.js", "dist/ops/add.js"]) {
    assert.equal(keepPackageFile(core, other), false, other);
  }
  assert.equal(keepPackageFile(wasm, "dist/tfjs-backend-wasm-simd.wasm"), true);
  assert.equal(keepPackageFile(wasm, "wasm-out/tfjs-backend-wasm-threaded-simd.worker.js"), true);
  assert.equal(keepPackageFile({ ...core, bins: ["dist/tools/cli.js"] }, "dist/tools/cli.js"), true);
  assert.equal(
    keepPackageFile({ name: "@tensorflow/tfjs-node-gpu", main: "dist/index.js" }, "dist/index.js"),
    false,
  );
});

Deno.test("ONNX Runtime keeps only this platform's native folder", () => {
  const ort = { name: "onnxruntime-node", main: "dist/index.js" };
  assert.equal(keepPackageFile(ort, "bin/napi-v6/linux/x64/libonnxruntime.so.1", "linux/x64"), true);
  assert.equal(keepPackageFile(ort, "bin/napi-v6/linux/arm64/libonnxruntime.so.1", "linux/x64"), false);
  assert.equal(keepPackageFile(ort, "bin/napi-v6/darwin/arm64/onnxruntime_binding.node", "linux/x64"), false);
  assert.equal(keepPackageFile(ort, "dist/index.js"), true);
  assert.equal(nativePlatform("linux", "x86_64"), "linux/x64");
  assert.equal(nativePlatform("linux", "aarch64"), "linux/arm64");
});

Deno.test("source maps, declarations, docs and types-only packages are left out; code is kept", () => {
  const zod = { name: "zod", main: "index.cjs" };
  assert.equal(keepPackageFile(zod, "v4/core/core.js"), true);
  assert.equal(keepPackageFile(zod, "v4/core/core.d.ts"), false);
  assert.equal(keepPackageFile(zod, "v4/core/core.js.map"), false);
  assert.equal(keepPackageFile(zod, "README.md"), false);
  assert.equal(keepPackageFile({ name: "@types/node" }, "fs.d.ts"), false);
  assert.equal(keepPackageFile({ name: "@types/node" }, "package.json"), true);
  assert.equal(keepPackageFile({ name: "protobufjs", main: "index.js" }, "cli/pbjs.js"), false);
  assert.equal(keepPackageFile({ name: "protobufjs", main: "index.js" }, "src/root.js"), true);
});

Deno.test("the program's files go in without tests; the embedded demo and configs too", () => {
  for (
    const kept of [
      "cli.ts",
      "deno.lock",
      "src/cli/main.ts",
      "src/backend/wasm/conv_kernel.wasm",
      "configs/model.yaml",
      "fixtures/iris.csv",
    ]
  ) {
    assert.equal(keepProjectFile(kept), true, kept);
  }
  for (
    const dropped of [
      "src/cli/main_test.ts",
      "src/backend/wasm/conv_kernel.c",
      "testing/fake_hub.ts",
      "fixtures/csv/x.csv",
    ]
  ) {
    assert.equal(keepProjectFile(dropped), false, dropped);
  }
});

Deno.test("copyNodeModules keeps symlinks as links, prunes inside each package and leaves Deno's locks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_prune_" });
  try {
    const from = join(dir, "from");
    const pkg = join(
      from,
      ".deno",
      "@tensorflow+tfjs-core@4.22.0",
      "node_modules",
      "@tensorflow",
      "tfjs-core",
    );
    await Deno.mkdir(join(pkg, "dist"), { recursive: true });
    await Deno.writeTextFile(join(pkg, "package.json"), JSON.stringify({ main: "./dist/tf-core.node.js" }));
    await Deno.writeTextFile(join(pkg, "dist", "tf-core.node.js"), "module.exports = {};");
    await Deno.writeTextFile(join(pkg, "dist", "tf-core.min.js"), "x");
    await Deno.mkdir(join(from, "@tensorflow"));
    await Deno.symlink(
      "../.deno/@tensorflow+tfjs-core@4.22.0/node_modules/@tensorflow/tfjs-core",
      join(from, "@tensorflow", "tfjs-core"),
    );
    await Deno.mkdir(join(from, ".bin"));
    await Deno.writeTextFile(join(from, ".bin", "tool"), "#!/bin/sh");
    // Deno's locks on node_modules, which another deno process may be holding (and removing) meanwhile.
    await Deno.writeTextFile(join(from, ".deno", ".deno.lock"), "");
    await Deno.writeTextFile(join(from, ".deno", ".deno.lock.poll"), "1");
    const tally = { files: 0, bytes: 0 };
    await copyNodeModules(from, join(dir, "to"), tally);
    const to = join(dir, "to");
    assert.equal(
      await Deno.readLink(join(to, "@tensorflow", "tfjs-core")),
      "../.deno/@tensorflow+tfjs-core@4.22.0/node_modules/@tensorflow/tfjs-core",
    );
    assert.equal(
      await Deno.readTextFile(join(to, "@tensorflow", "tfjs-core", "dist", "tf-core.node.js")),
      "module.exports = {};",
    );
    await assert.rejects(Deno.stat(join(to, "@tensorflow", "tfjs-core", "dist", "tf-core.min.js")));
    await assert.rejects(Deno.stat(join(to, ".bin")));
    assert.deepEqual([...Deno.readDirSync(join(to, ".deno"))].map((e) => e.name), [
      "@tensorflow+tfjs-core@4.22.0",
    ]);
    assert.equal(tally.files, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the launcher carries the version, the payload's size and hash, and the permissions", async () => {
  const template = await Deno.readTextFile(new URL("./self_extracting_header.sh", import.meta.url));
  const text = launcher(template, {
    version: "9.9.9",
    sha256: "f".repeat(64),
    bytes: 1234,
    permissions: ["--allow-read", "--allow-ffi"],
  });
  assert.doesNotMatch(text, /@[A-Z]+@/);
  assert.match(text, /^#!\/bin\/sh\n/);
  assert.match(text, /MMML_PAYLOAD_BYTES=1234\n/);
  assert.match(text, /run --cached-only --no-prompt --allow-read --allow-ffi --config/);
  const check = await new Deno.Command("sh", { args: ["-n", "-c", text] }).output();
  assert.equal(check.code, 0, "valid POSIX sh");
});
