import assert from "node:assert/strict";
import { MmmlConfig } from "../config/schema.ts";
import { classificationMetrics } from "../evaluation/metrics.ts";
import type { PreparedData } from "../tasks/prepared_data.ts";
import { adviceAfterFit, adviceBeforeFit } from "./training_advice.ts";

const data = (rows: number, inputShape: number[], task: "tabular" | "image") =>
  ({ task, inputShape, train: { size: rows } }) as unknown as PreparedData;

Deno.test("before training: small images on the ImageNet stem and one-step epochs are named with the fix", () => {
  const resnet = MmmlConfig.parse({ model: { arch: "resnet18" }, training: { epochs: 2 } });
  const [stem, steps] = adviceBeforeFit(resnet, data(42, [32, 32, 3], "image"));
  assert.match(stem, /^32 px images with the ImageNet stem .* --set model\.stem=small$/);
  assert.match(
    steps,
    /^42 training images at batch size 64 make 1 optimizer step\(s\) an epoch, .* --batch-size 4$/,
  );
  const small = MmmlConfig.parse({ model: { arch: "resnet18", stem: "small" }, training: { batch_size: 8 } });
  assert.deepEqual(adviceBeforeFit(small, data(42, [32, 32, 3], "image")), []);
  assert.deepEqual(adviceBeforeFit(MmmlConfig.parse({}), data(1000, [4], "tabular")), []);
});

Deno.test("after training: validation accuracy at the majority share says the model has not learned", () => {
  const y = Int32Array.from([0, 0, 1, 1, 2, 2]);
  const uniform = new Float32Array(18).fill(1 / 3);
  const chance = classificationMetrics(uniform, y, 3);
  const [said] = adviceAfterFit(chance, { epochsRun: 6, stopReason: "early stopping: ...", image: true });
  assert.match(
    said,
    /^the model has not learned: early stopping ended the run after 6 epoch\(s\), validation accuracy 0\.333 is no better than always predicting the most common class \(0\.333\)/,
  );
  assert.match(said, /--set model\.stem=small/);
  const learned = classificationMetrics(
    Float32Array.from([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1]),
    y,
    3,
  );
  assert.deepEqual(adviceAfterFit(learned, { epochsRun: 6, stopReason: null, image: false }), []);
  assert.deepEqual(adviceAfterFit(null, { epochsRun: 1, stopReason: null, image: false }), []);
});
