import assert from "node:assert/strict";
import { join } from "node:path";
import { exportTriton } from "./export_triton.ts";
import { listTree } from "../../testing/cli.ts";
import { writePetsVersion } from "../../testing/image_version.ts";
import { parseTritonConfig } from "../../testing/triton_model_config.ts";

const noExport = () => Promise.reject(new Error("model.onnx is there; nothing to export"));

Deno.test("an image version becomes a Triton entry: NHWC dims without the batch, labels, the served ONNX", async () => {
  const version = await writePetsVersion(4);
  const out = await Deno.makeTempDir({ prefix: "mmml_triton_" });
  try {
    const written = await exportTriton(version, out, { maxBatchSize: 256, exportOnnx: noExport });
    assert.deepEqual(await listTree(out), [
      "pets/",
      "pets/4/",
      "pets/4/model.onnx",
      "pets/config.pbtxt",
      "pets/labels.txt",
    ]);
    assert.equal(written.maxBatchSize, 256);
    assert.deepEqual(
      await Deno.readFile(join(out, "pets", "4", "model.onnx")),
      await Deno.readFile(join(version.dir, "model.onnx")),
    );
    assert.equal(await Deno.readTextFile(join(out, "pets", "labels.txt")), "circle\nsquare\nstripes\n");
    const config = parseTritonConfig(await Deno.readTextFile(join(out, "pets", "config.pbtxt")));
    assert.deepEqual(config, {
      name: "pets",
      backend: "onnxruntime",
      max_batch_size: 256,
      input: [{ name: "input", data_type: "TYPE_FP32", dims: [9, 9, 3] }],
      output: [{ name: "probabilities", data_type: "TYPE_FP32", dims: [3], label_filename: "labels.txt" }],
      dynamic_batching: { max_queue_delay_microseconds: 100 },
      version_policy: { latest: { num_versions: 1 } },
    });
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(version.dir, { recursive: true });
  }
});

Deno.test("the Triton config reader refuses what Triton would: unknown fields and enum values", () => {
  assert.throws(() => parseTritonConfig('name: "a"\nmax_batch: 3\n'), /ModelConfig has no field "max_batch"/);
  assert.throws(
    () => parseTritonConfig('input [ { name: "x" data_type: TYPE_FLOAT32 dims: [ 1 ] } ]'),
    /TYPE_FLOAT32 is not a value of DataType/,
  );
});
