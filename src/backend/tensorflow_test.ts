import assert from "node:assert/strict";
import { join } from "node:path";
import { MmmlError } from "../errors.ts";
import { findTensorflowPackages, loadTensorflowBackend } from "./tensorflow.ts";

/** A project folder with fake installs: package.json, plus the native addon when `binding`. */
async function fakeProject(installs: Record<string, { binding: boolean }>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "mmml_tf_" });
  for (const [name, { binding }] of Object.entries(installs)) {
    const dir = join(root, "node_modules", name);
    await Deno.mkdir(join(dir, "lib", "napi-v8"), { recursive: true });
    await Deno.writeTextFile(join(dir, "package.json"), JSON.stringify({ name, version: "4.22.0" }));
    if (binding) await Deno.writeFile(join(dir, "lib", "napi-v8", "tfjs_binding.node"), new Uint8Array(8));
  }
  return root;
}

const neverImport = (specifier: string) => Promise.reject(new Error(`imported ${specifier}`));

Deno.test("loadTensorflowBackend says neither package is installed, where it looked, and how to install", async () => {
  const root = await fakeProject({});
  try {
    const err = await loadTensorflowBackend({ roots: [root], importer: neverImport }).catch((e) => e);
    assert.ok(err instanceof MmmlError);
    assert.equal(err.code, "backend_unavailable");
    assert.match(err.message, /neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed/);
    assert.ok(err.message.includes(join(root, "node_modules")), err.message);
    assert.match(err.message, /To install: run `deno task setup:gpu`/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("an installed package without its native addon is reported as such and never imported", async () => {
  const root = await fakeProject({ "@tensorflow/tfjs-node-gpu": { binding: false } });
  try {
    const [gpu, cpu] = await findTensorflowPackages({ roots: [root] });
    assert.match(gpu.problem!, /installed but its native addon lib\/napi-v\*\/tfjs_binding\.node is missing/);
    assert.match(cpu.problem!, /@tensorflow\/tfjs-node is not installed/);
    const err = await loadTensorflowBackend({ roots: [root], importer: neverImport }).catch((e) => e);
    assert.doesNotMatch(err.message, /imported/);
    assert.match(err.message, /native addon .* is missing/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a package that fails to load is named with its error, and the next one is tried", async () => {
  const root = await fakeProject({
    "@tensorflow/tfjs-node-gpu": { binding: true },
    "@tensorflow/tfjs-node": { binding: true },
  });
  try {
    const tried: string[] = [];
    const loaded = await loadTensorflowBackend({
      roots: [root],
      importer: (specifier) => {
        tried.push(specifier);
        if (specifier.endsWith("-gpu")) {
          return Promise.reject(new Error("libcudart.so.11.0: cannot open shared object file\nmore"));
        }
        return Promise.resolve({ findBackend: (name: string) => name === "tensorflow" ? {} : null });
      },
    });
    assert.deepEqual(tried, ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]);
    assert.deepEqual(loaded, { package: "@tensorflow/tfjs-node", gpu: false });

    const err = await loadTensorflowBackend({
      roots: [root],
      importer: () => Promise.reject(new Error("libtensorflow.so.2: cannot open shared object file")),
    }).catch((e) => e);
    assert.match(
      err.message,
      /@tensorflow\/tfjs-node-gpu is installed but failed to load: libtensorflow\.so\.2: cannot open/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the CUDA build is preferred and reports whether TensorFlow found a GPU", async () => {
  const root = await fakeProject({
    "@tensorflow/tfjs-node-gpu": { binding: true },
    "@tensorflow/tfjs-node": { binding: true },
  });
  try {
    const loaded = await loadTensorflowBackend({
      roots: [root],
      importer: () => Promise.resolve({ findBackend: () => ({ isUsingGpuDevice: true }) }),
    });
    assert.deepEqual(loaded, { package: "@tensorflow/tfjs-node-gpu", gpu: true });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
