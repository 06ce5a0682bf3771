/**
 * Issue 17's parity proof: torchvision's own models with random weights (and moved batch norm statistics),
 * saved by scripts/torchvision_safetensors.py as safetensors state dicts, load into mmml's architectures
 * through the state-dict name map and give torchvision's class probabilities within 1e-4 on the same input
 * (eval mode). Needs Debian's torch and torchvision for /usr/bin/python3; without them the test says so.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../backend/choose.ts";
import { ModelConfig } from "../config/schema.ts";
import { buildModel } from "./architectures.ts";
import { loadPretrained } from "./pretrained.ts";

const SCRIPT = new URL("../../scripts/torchvision_safetensors.py", import.meta.url).pathname;
const PYTHON = "/usr/bin/python3";

async function torchMissing(): Promise<string | null> {
  try {
    const out = await new Deno.Command(PYTHON, { args: ["-c", "import torch, torchvision"], stderr: "piped" })
      .output();
    return out.success ? null : `${PYTHON} has no torch/torchvision (apt install python3-torchvision)`;
  } catch {
    return `${PYTHON} is not installed`;
  }
}
const SKIP = await torchMissing();

await useBackend("cpu");

const CASES = [
  { arch: "resnet18", size: 64 },
  { arch: "resnet34", size: 64 },
  { arch: "resnet50", size: 64 },
  { arch: "efficientnet_b0", size: 64 },
  { arch: "efficientnet_b1", size: 64 },
] as const;
const CLASSES = 5;

for (const { arch, size } of CASES) {
  Deno.test({
    name: `torchvision ${arch}'s safetensors weights give torchvision's probabilities within 1e-4` +
      (SKIP ? ` (skipped: ${SKIP})` : ""),
    ignore: SKIP !== null,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: `mmml_tv_${arch}_` });
      try {
        const made = await new Deno.Command(PYTHON, {
          args: [SCRIPT, arch, String(size), String(CLASSES), dir],
          stderr: "piped",
        }).output();
        assert.ok(made.success, new TextDecoder().decode(made.stderr));
        const model = buildModel(ModelConfig.parse({ arch }), {
          inputShape: [size, size, 3],
          numClasses: CLASSES,
          seed: 3,
        });
        try {
          const result = await loadPretrained(model, join(dir, "weights.safetensors"), { skipHead: false });
          assert.deepEqual(result.skippedLayers, []);
          assert.equal(result.loaded, model.net.weights.length);
          const x = new Float32Array((await Deno.readFile(join(dir, "x.bin"))).buffer);
          const expected = new Float32Array((await Deno.readFile(join(dir, "probs.bin"))).buffer);
          const got = tf.tidy(() =>
            model.predict(tf.tensor(x, [2, size, size, 3])).dataSync() as Float32Array
          );
          const diff = Math.max(...got.map((v, i) => Math.abs(v - expected[i])));
          console.error(
            `${arch}: max |mmml - torchvision| = ${diff.toExponential(2)} over ${got.length} probabilities`,
          );
          assert.ok(diff < 1e-4, `${arch}: probabilities differ by ${diff}`);
        } finally {
          model.net.dispose();
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
