import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ModelConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { buildEfficientnet, makeDivisible } from "./efficientnet.ts";

await useBackend("wasm");

// torchvision 0.14: parameters and, separately, the batch norm running_mean/running_var buffers.
const TORCHVISION = {
  efficientnet_b0: { params: 5_288_548, bnBuffers: 42_016 },
  efficientnet_b1: { params: 7_794_184, bnBuffers: 62_048 },
} as const;

const config = (arch: string, extra: Record<string, unknown> = {}) => ModelConfig.parse({ arch, ...extra });

Deno.test("buildEfficientnet matches torchvision's efficientnet_b0/b1 at 224 px with 1000 classes", async (t) => {
  for (const [arch, torch] of Object.entries(TORCHVISION)) {
    const model = buildEfficientnet(config(arch), { inputShape: [224, 224, 3], numClasses: 1000, seed: 1 });
    const layer = (name: string) => model.net.getLayer(name);
    try {
      await t.step(`${arch}: trainable = torch parameters, total adds the BN moving statistics`, () => {
        assert.equal(model.trainableParamCount(), torch.params);
        assert.equal(model.paramCount(), torch.params + torch.bnBuffers);
        assert.deepEqual(layer("features.8.0").outputShape, [null, 7, 7, 1280]);
      });
      if (arch === "efficientnet_b1") {
        await t.step("efficientnet_b1: every stage deepened to ceil(1.1 n) blocks", () => {
          const blocks = [1, 2, 3, 4, 5, 6, 7].map((stage) =>
            new Set(
              model.net.layers.map((l) => l.name.match(new RegExp(`^features\\.${stage}\\.(\\d+)\\.`))?.[1])
                .filter((b) => b !== undefined),
            ).size
          );
          assert.deepEqual(blocks, [2, 3, 3, 4, 4, 5, 2]);
        });
        continue;
      }
      await t.step("efficientnet_b0: torch's squeeze width, depthwise padding and residuals", () => {
        // features.3.0: 24 -> 40 channels, expand 6 (144), k5 stride 2, squeeze 24 / 4 = 6.
        assert.deepEqual(layer("features.3.0.block.1.0").getWeights()[0].shape, [5, 5, 144, 1]);
        assert.deepEqual(layer("features.3.0.block.1.0_pad").getConfig().padding, [[2, 2], [2, 2]]);
        assert.deepEqual(layer("features.3.0.block.1.0").outputShape, [null, 28, 28, 144]);
        assert.deepEqual(layer("features.3.0.block.2.fc1").getWeights()[0].shape, [1, 1, 144, 6]);
        assert.deepEqual(layer("features.3.1.block.2.fc1").getWeights()[0].shape, [1, 1, 240, 10]);
        // Stage 1 has no expansion, so its depthwise conv is block.0; a residual only where shapes agree.
        assert.deepEqual(layer("features.1.0.block.0.0").getWeights()[0].shape, [3, 3, 32, 1]);
        assert.ok(!model.net.layers.some((l) => l.name === "features.3.0.add"));
        assert.equal(layer("features.3.1.add").getClassName(), "Add");
        assert.equal(layer("features.0.2").getConfig().activation, "swish");
      });
    } finally {
      model.net.dispose();
    }
  }
});

Deno.test("EfficientNet-B0 with the small stem predicts, freezes and leaks no tensors", async (t) => {
  const before = tf.memory().numTensors;
  const model = buildEfficientnet(config("efficientnet_b0", { stem: "small" }), {
    inputShape: [32, 32, 3],
    numClasses: 5,
    seed: 2,
  });
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 4);
  try {
    await t.step("the small stem conv has stride 1", () => {
      assert.deepEqual(model.net.getLayer("features.0.0").outputShape, [null, 32, 32, 32]);
    });
    await t.step("predict gives probability rows and keeps no tensors", () => {
      const during = tf.memory().numTensors;
      const p = model.predict(x);
      assert.deepEqual(p.shape, [2, 5]);
      const rows = tf.tidy(() => p.sum(1).arraySync() as number[]);
      for (const s of rows) assert.ok(Math.abs(s - 1) < 1e-5, `row sums to ${s}`);
      p.dispose();
      assert.equal(tf.memory().numTensors, during);
    });
    await t.step("freeze leaves only the 1280 -> classes head trainable", () => {
      model.freeze();
      assert.equal(model.trainableParamCount(), 1280 * 5 + 5);
      model.unfreeze();
      assert.equal(model.trainableParamCount(), 5_288_548 - (1280 * 1000 + 1000) + (1280 * 5 + 5));
    });
  } finally {
    x.dispose();
    model.net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("makeDivisible rounds to the nearest multiple of 8 unless that drops more than 10%", () => {
  // Expected values from torchvision.models._utils._make_divisible(v, 8).
  const cases = [[32, 32], [32 * 1.1, 32], [16 * 1.2, 24], [20, 24], [3, 8], [116, 120], [43, 40], [11, 16]];
  for (const [value, expected] of cases) {
    assert.equal(makeDivisible(value), expected, `makeDivisible(${value})`);
  }
});
