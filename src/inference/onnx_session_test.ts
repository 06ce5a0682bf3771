import assert from "node:assert/strict";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { exportOnnx } from "../export/onnx_exporter.ts";
import { buildTestMlp } from "../../testing/onnx_test_models.ts";
import { createMemoryLogger } from "../log.ts";
import { availableProviders, createOnnxSession } from "./onnx_session.ts";

await useBackend("cpu");

const net = buildTestMlp({ inputs: 3, hidden: [4], classes: 2 });
const bytes = exportOnnx(net, { inputShape: [3] });
net.dispose();

const cudaWorks = (await availableProviders(["cuda"]))[0].available;

Deno.test("availableProviders reports cpu as available and gives a reason for each unavailable one", async () => {
  const all = await availableProviders();
  assert.deepEqual(all.map((p) => p.provider), ["cuda", "tensorrt", "webgpu", "cpu"]);
  assert.equal(all.find((p) => p.provider === "cpu")?.available, true);
  for (const p of all.filter((p) => !p.available)) assert.ok(p.reason && p.reason.length > 0, p.provider);
});

Deno.test("createOnnxSession on cpu reports the cpu provider and runs a batch", async () => {
  const logger = createMemoryLogger();
  const { session, provider, warnings } = await createOnnxSession(bytes, {
    providers: ["cpu"],
    logger,
    intraOpThreads: 1,
  });
  assert.equal(provider, "cpu");
  assert.deepEqual(warnings, []);
  assert.deepEqual(session.inputs, [{ name: "input", datatype: "FP32", shape: [-1, 3] }]);
  assert.deepEqual(session.outputs, [{ name: "probabilities", datatype: "FP32", shape: [-1, 2] }]);
  const out = await session.run({ input: { type: "float32", data: new Float32Array(6), dims: [2, 3] } });
  assert.deepEqual(out.probabilities.dims, [2, 2]);
  await session.close();
  assert.ok(logger.lines.some((l) => /"provider":"cpu"/.test(l)));
});

Deno.test("createOnnxSession says at info level that an absent CUDA provider is not installed, then uses cpu", async () => {
  const logger = createMemoryLogger();
  const empty = await Deno.makeTempDir({ prefix: "mmml_no_cuda_" });
  try {
    const { session, provider, warnings, absent } = await createOnnxSession(bytes, {
      providers: ["cuda", "cpu"],
      logger,
      libraryFolder: `${empty}/`,
    });
    await session.close();
    assert.equal(provider, "cpu");
    assert.deepEqual(warnings, []);
    assert.equal(absent.length, 1);
    assert.match(absent[0], /provider "cuda" is not installed .*ONNXRUNTIME_NODE_INSTALL=cuda12/);
    assert.ok(!logger.lines.some((l) => /"level":"(warn|error)"/.test(l)), "nothing alarming");
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("createOnnxSession warns loudly, naming cuda and the reason, when an installed provider fails to load", async () => {
  const logger = createMemoryLogger();
  // Present but unusable libraries: ONNX Runtime tries them and fails (it loads its own folder's copies).
  const fake = await Deno.makeTempDir({ prefix: "mmml_fake_cuda_" });
  try {
    for (const lib of ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"]) {
      await Deno.writeTextFile(`${fake}/${lib}`, "not a library");
    }
    const { session, provider, warnings } = await createOnnxSession(bytes, {
      providers: ["cuda", "cpu"],
      logger,
      libraryFolder: `${fake}/`,
    });
    await session.close();
    if (cudaWorks) {
      assert.equal(provider, "cuda");
      return;
    }
    assert.equal(provider, "cpu");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /provider "cuda" failed to load.*falling back to "cpu"/);
    const warned = logger.lines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn");
    assert.equal(warned.length, 1);
    assert.equal(warned[0].provider, "cuda");
    assert.ok(warned[0].reason.length > 0);
  } finally {
    await Deno.remove(fake, { recursive: true });
  }
});

Deno.test("createOnnxSession with requireProviders fails instead of falling back", async () => {
  if (cudaWorks) return;
  await assert.rejects(
    createOnnxSession(bytes, { providers: ["cuda", "cpu"], requireProviders: true }),
    (e) => e instanceof MmmlError && e.code === "backend_unavailable" && /"cuda"/.test(e.message),
  );
});

Deno.test("createOnnxSession names the file when a model cannot be opened on any provider", async () => {
  await assert.rejects(
    createOnnxSession(new Uint8Array([1, 2, 3, 4]), { providers: ["cpu"], source: "models/x/1/model.onnx" }),
    (e) =>
      e instanceof MmmlError && e.code === "artifact_corrupt" && /models\/x\/1\/model\.onnx/.test(e.message),
  );
});

Deno.test("an output that is not finite is an error naming the row, never a null", async () => {
  const { session } = await createOnnxSession(bytes, { providers: ["cpu"], intraOpThreads: 1 });
  try {
    const data = new Float32Array([0, 0, 0, 3.4e38, -3.4e38, 3.4e38]);
    await assert.rejects(
      session.run({ input: { type: "float32", data, dims: [2, 3] } }),
      (e) =>
        e instanceof MmmlError && e.code === "invalid_input" &&
        /output "probabilities" for row 1 is NaN/.test(e.message),
    );
  } finally {
    await session.close();
  }
});
