import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ModelConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { buildEfficientnet } from "./efficientnet.ts";
import type { MmmlModel } from "./model.ts";
import { loadPretrained, parsePretrained, PRETRAINED_MAGIC, savePretrained } from "./pretrained.ts";
import { buildResnet } from "./resnet.ts";

await useBackend("wasm");

const effnet = (numClasses: number, seed?: number) =>
  buildEfficientnet(ModelConfig.parse({ arch: "efficientnet_b0" }), {
    inputShape: [16, 16, 3],
    numClasses,
    seed,
  });

/** Gives the batch norm statistics and affine weights non-default values, so a round trip must carry them. */
function perturbBatchNorms(model: MmmlModel): void {
  model.net.layers.filter((l) => l.getClassName() === "BatchNormalization").forEach((layer, i) => {
    const weights = layer.getWeights();
    const moved = weights.map((w, j) =>
      tf.randomUniform(w.shape, j === 3 ? 0.5 : -0.5, j === 3 ? 2 : 0.5, "float32", i * 4 + j)
    );
    layer.setWeights(moved);
    tf.dispose(moved);
  });
}

const outputs = (model: MmmlModel, x: tf.Tensor) => tf.tidy(() => Array.from(model.predict(x).dataSync()));
const weight = (model: MmmlModel, layer: string) =>
  Array.from(model.net.getLayer(layer).getWeights()[0].dataSync());
const rejects = (pattern: RegExp, code = "invalid_input") => (e: unknown) =>
  e instanceof MmmlError && e.code === code && pattern.test(e.message);

Deno.test("savePretrained -> loadPretrained carries every weight by name", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_pretrained_" });
  const path = join(dir, "efficientnet_b0.mmmlw");
  const source = effnet(4, 1);
  const fresh = effnet(4, 2);
  const models: MmmlModel[] = [source, fresh];
  const x = tf.randomNormal([2, 16, 16, 3], 0, 1, "float32", 9);
  try {
    perturbBatchNorms(source);
    await savePretrained(source, path);
    const expected = outputs(source, x);
    assert.ok(Math.max(...expected) - Math.min(...expected) > 1e-3, "outputs should not be uniform");

    await t.step("a fresh model of the same shape gives identical outputs", async () => {
      assert.notDeepEqual(outputs(fresh, x), expected);
      const before = tf.memory().numTensors;
      const result = await loadPretrained(fresh, path);
      assert.equal(tf.memory().numTensors, before);
      assert.deepEqual(result, { loaded: source.net.weights.length, skippedLayers: [] });
      assert.deepEqual(outputs(fresh, x), expected);
    });

    const other = effnet(3, 3);
    models.push(other);
    const projection = "features.7.0.block.3.0";
    await t.step("a new class count leaves the head fresh unless skipHead is false", async () => {
      const head = weight(other, "head");
      await assert.rejects(
        () => loadPretrained(other, path, { skipHead: false }),
        rejects(
          /\(efficientnet_b0\) into efficientnet_b0 .*head\/kernel \(expected \[1280,3\], received \[1280,4\]\)/,
        ),
      );
      assert.notDeepEqual(weight(other, projection), weight(source, projection), "nothing assigned");
      const result = await loadPretrained(other, path);
      assert.deepEqual(result.skippedLayers, ["head"]);
      assert.deepEqual(weight(other, projection), weight(source, projection));
      assert.deepEqual(weight(other, "head"), head);
    });

    await t.step("skipLayers leaves the named layers at their initialisation", async () => {
      const model = effnet(4, 4);
      models.push(model);
      const stem = weight(model, "features.0.0");
      const result = await loadPretrained(model, path, { skipLayers: ["features.0.0"] });
      assert.deepEqual(result.skippedLayers, ["features.0.0"]);
      assert.deepEqual(weight(model, "features.0.0"), stem);
      assert.deepEqual(weight(model, projection), weight(source, projection));
    });

    await t.step("another architecture is refused naming the weights the file lacks", async () => {
      const resnet = buildResnet(ModelConfig.parse({ arch: "resnet18" }), {
        inputShape: [16, 16, 3],
        numClasses: 4,
      });
      models.push(resnet);
      await assert.rejects(
        () => loadPretrained(resnet, path),
        rejects(/the file lacks conv1\/kernel, .* more/),
      );
    });

    await t.step(
      "a file written from the documented layout loads; one with extra weights is refused",
      async () => {
        const { header, data } = parsePretrained(await Deno.readFile(path), path);
        const payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        await Deno.writeFile(path + ".copy", encode(header, payload));
        tf.tidy(() => fresh.net.weights.forEach((w) => w.write(tf.zerosLike(w.read()))));
        assert.notDeepEqual(outputs(fresh, x), expected);
        await loadPretrained(fresh, path + ".copy", { skipHead: false });
        assert.deepEqual(outputs(fresh, x), expected);
        const extra = {
          name: "features.1.1.block.0.0/depthwise_kernel",
          shape: [1],
          dtype: "float32",
          offset: 0,
        };
        await Deno.writeFile(
          path + ".extra",
          encode({ ...header, weights: [...header.weights, extra] }, payload),
        );
        await assert.rejects(
          () => loadPretrained(fresh, path + ".extra"),
          rejects(/the model has no weights named features\.1\.1\.block\.0\.0\/depthwise_kernel$/),
        );
      },
    );
  } finally {
    x.dispose();
    for (const model of models) model.net.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

/** The documented layout, written independently of savePretrained, with the data misaligned on purpose. */
function encode(header: unknown, data: Uint8Array): Uint8Array {
  let text = JSON.stringify(header);
  while ((10 + new TextEncoder().encode(text).length) % 4 !== 2) text += " ";
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(10 + json.length + data.length);
  out.set(new TextEncoder().encode(PRETRAINED_MAGIC));
  new DataView(out.buffer).setUint32(6, json.length, true);
  out.set(json, 10);
  out.set(data, 10 + json.length);
  return out;
}

Deno.test("parsePretrained names what is wrong with a damaged file", async () => {
  const weights = [{ name: "head/bias", shape: [2], dtype: "float32", offset: 0 }];
  const good = encode({ format: "MMMLW1", weights }, new Uint8Array(8));
  assert.equal(parsePretrained(good, "w.bin").header.weights[0].name, "head/bias");
  assert.throws(
    () => parsePretrained(new TextEncoder().encode("PK\u0003\u0004 zip"), "w.zip"),
    rejects(/"w.zip".*"MMMLW1", received "PK/),
  );
  assert.throws(
    () => parsePretrained(good.subarray(0, good.length - 1), "w.bin"),
    rejects(/head\/bias ends at data byte 8, but the data holds 7 bytes/),
  );
  const float16 = encode(
    { format: "MMMLW1", weights: [{ ...weights[0], dtype: "float16" }] },
    new Uint8Array(8),
  );
  assert.throws(() => parsePretrained(float16, "w.bin"), rejects(/header\.weights\.0\.dtype/));
  const twice = encode({ format: "MMMLW1", weights: [weights[0], weights[0]] }, new Uint8Array(8));
  assert.throws(() => parsePretrained(twice, "w.bin"), rejects(/names head\/bias twice/));
  const model = buildEfficientnet(ModelConfig.parse({ arch: "efficientnet_b0" }), {
    inputShape: [8, 8, 3],
    numClasses: 2,
  });
  try {
    await assert.rejects(
      () => loadPretrained(model, "/nonexistent/w.mmmlw"),
      rejects(/does not exist/, "file_not_found"),
    );
  } finally {
    model.net.dispose();
  }
});
