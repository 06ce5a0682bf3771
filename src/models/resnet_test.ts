import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ModelConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { buildResnet } from "./resnet.ts";

await useBackend("wasm");

// torchvision 0.14: sum(p.numel() for p in model.parameters()) and, separately, the running_mean and
// running_var buffers, which tfjs counts as non-trainable weights.
const TORCHVISION = {
  resnet18: { params: 11_689_512, bnBuffers: 9_600 },
  resnet34: { params: 21_797_672, bnBuffers: 17_024 },
  resnet50: { params: 25_557_032, bnBuffers: 53_120 },
} as const;

const config = (arch: string, extra: Record<string, unknown> = {}) => ModelConfig.parse({ arch, ...extra });

Deno.test("buildResnet matches torchvision's resnet18/34/50 at 224 px with 1000 classes", async (t) => {
  for (const [arch, torch] of Object.entries(TORCHVISION)) {
    const model = buildResnet(config(arch), { inputShape: [224, 224, 3], numClasses: 1000, seed: 1 });
    try {
      await t.step(`${arch}: trainable = torch parameters, total adds the BN moving statistics`, () => {
        assert.equal(model.trainableParamCount(), torch.params);
        assert.equal(model.paramCount(), torch.params + torch.bnBuffers);
      });
      if (arch !== "resnet50") continue;
      await t.step("resnet50: 32x downsampling, stride on the padded 3x3 conv (v1.5)", () => {
        const layer = (name: string) => model.net.getLayer(name);
        assert.deepEqual(layer("conv1").outputShape, [null, 112, 112, 64]);
        assert.deepEqual(layer("maxpool").outputShape, [null, 56, 56, 64]);
        assert.deepEqual(layer("layer1.2.relu3").outputShape, [null, 56, 56, 256]);
        assert.deepEqual(layer("layer4.2.relu3").outputShape, [null, 7, 7, 2048]);
        assert.deepEqual(layer("layer2.0.conv1").getConfig().strides, [1, 1]);
        assert.deepEqual(layer("layer2.0.conv2").getConfig().strides, [2, 2]);
        assert.equal(layer("layer2.0.conv2").getConfig().padding, "valid");
        assert.deepEqual(layer("layer2.0.conv2_pad").getConfig().padding, [[1, 1], [1, 1]]);
        assert.deepEqual(layer("layer2.0.downsample.0").getConfig().strides, [2, 2]);
        assert.equal(layer("head").getConfig().activation, "softmax");
      });
    } finally {
      model.net.dispose();
    }
  }
});

Deno.test("ResNet-18 with the small stem predicts, freezes and leaks no tensors", async (t) => {
  const before = tf.memory().numTensors;
  const model = buildResnet(config("resnet18", { stem: "small" }), {
    inputShape: [32, 32, 1],
    numClasses: 10,
    seed: 7,
  });
  const x = tf.randomNormal([2, 32, 32, 1], 0, 1, "float32", 3);
  try {
    await t.step("the small stem keeps the resolution and has no max pool", () => {
      assert.deepEqual(model.net.getLayer("layer1.1.relu2").outputShape, [null, 32, 32, 64]);
      assert.ok(!model.net.layers.some((l) => l.name === "maxpool"));
      assert.deepEqual(model.net.getLayer("conv1").getWeights()[0].shape, [3, 3, 1, 64]);
    });
    await t.step("predict gives probability rows and keeps no tensors", () => {
      const during = tf.memory().numTensors;
      const p = model.predict(x);
      assert.deepEqual(p.shape, [2, 10]);
      const rows = tf.tidy(() => p.sum(1).arraySync() as number[]);
      for (const s of rows) assert.ok(Math.abs(s - 1) < 1e-5, `row sums to ${s}`);
      p.dispose();
      assert.equal(tf.memory().numTensors, during);
    });
    await t.step("freeze leaves only the head trainable; unfreeze restores every weight", () => {
      const all = model.trainableParamCount();
      model.freeze();
      assert.equal(model.trainableParamCount(), 512 * 10 + 10);
      assert.ok(!model.net.getLayer("layer1.0.bn1").trainable);
      model.unfreeze();
      assert.equal(model.trainableParamCount(), all);
    });
  } finally {
    x.dispose();
    model.net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("buildResnet rejects a non-image input shape and a non-ResNet config", () => {
  assert.throws(
    () => buildResnet(config("resnet18"), { inputShape: [12], numClasses: 3 }),
    (e) => e instanceof MmmlError && e.code === "invalid_input" && /received \[12\]/.test(e.message),
  );
  assert.throws(
    () => buildResnet(config("efficientnet_b0"), { inputShape: [8, 8, 3], numClasses: 3 }),
    (e) => e instanceof MmmlError && /received "efficientnet_b0"/.test(e.message),
  );
});
