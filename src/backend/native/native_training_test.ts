import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../choose.ts";
import { probeNative } from "../probes.ts";
import { ModelConfig } from "../../config/schema.ts";
import { buildModel } from "../../models/architectures.ts";
import { onnxParity } from "../../../testing/onnx_parity.ts";
import { seeded } from "../../../testing/cpu_parity.ts";

const probe = await probeNative();
const note = probe.available ? "" : ` (skipped: ${probe.reason}; install libdnnl2)`;
const ARCHS = ["mlp", "resnet18", "resnet34", "resnet50", "efficientnet_b0", "efficientnet_b1"] as const;
/** ONNX parity for one of each family and the two other benchmarked models (export tests cover the rest). */
const PARITY = new Set<string>(["mlp", "resnet18", "resnet50", "efficientnet_b0"]);

for (const arch of ARCHS) {
  Deno.test(
    `${arch} trains on the native backend with falling loss and leaks no tensors${
      PARITY.has(arch) ? "; its ONNX export agrees within 1e-4" : ""
    }${note}`,
    {
      ignore: !probe.available,
    },
    async () => {
      await useBackend("native");
      const image = arch !== "mlp";
      const inputShape = image ? [32, 32, 3] : [12];
      const model = buildModel(ModelConfig.parse({ arch, dropout: 0 }), {
        inputShape,
        numClasses: 4,
        seed: 1,
      });
      model.net.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
      const x = seeded([8, ...inputShape], 5);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], "int32"), 4);
      const losses: number[] = [];
      const before = { count: 0 };
      for (let step = 0; step < 6; step++) {
        losses.push(Number(await model.net.trainOnBatch(x, y)));
        // The first step creates the optimizer's slots; after it, a step adds no tensor.
        if (step === 0) before.count = tf.memory().numTensors;
      }
      assert.equal(tf.memory().numTensors, before.count, "a training step leaked tensors");
      assert.ok(
        losses.at(-1)! < losses[0],
        `loss did not fall: ${losses.map((l) => l.toFixed(3)).join(" ")}`,
      );
      if (PARITY.has(arch)) {
        const parity = await onnxParity(model.net, x);
        assert.ok(parity.maxAbsDiff < 1e-4, `ONNX differs from native by ${parity.maxAbsDiff}`);
      }
      tf.dispose([x, y]);
      model.net.dispose();
    },
  );
}
