import assert from "node:assert/strict";
import { join } from "node:path";
import { MlpConfig, TrainingConfig } from "../../config/schema.ts";
import { useBackend } from "../../backend/choose.ts";
import { createMemoryLogger } from "../../log.ts";
import { buildMlp } from "../../models/mlp.ts";
import { blobSources } from "../../../testing/blobs.ts";
import { createTrainer } from "../trainer.ts";
import { metricsLogger } from "./metrics_logger.ts";

await useBackend("wasm");

Deno.test("MetricsLogger writes one JSON line per epoch and starts afresh on the next fit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_metrics_" });
  try {
    const path = join(dir, "logs", "metrics.jsonl");
    const data = blobSources({ train: 60, val: 20, features: 4, classes: 2 });
    const model = buildMlp(MlpConfig.parse({ arch: "mlp", hidden: [4] }), {
      inputShape: [4],
      numClasses: 2,
      seed: 1,
    });
    const trainer = createTrainer({ logger: createMemoryLogger() });
    const fit = (epochs: number) =>
      trainer.fit(model, data.train, data.val, {
        epochs,
        batchSize: 16,
        optimizer: TrainingConfig.parse({}).optimizer,
        seed: 1,
        callbacks: [metricsLogger(path)],
      });
    const { history } = await fit(3);
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    assert.equal(lines.length, 3);
    const parsed = lines.map((l) => JSON.parse(l));
    assert.deepEqual(parsed, history);
    assert.deepEqual(Object.keys(parsed[0]), [
      "epoch",
      "loss",
      "accuracy",
      "val_loss",
      "val_accuracy",
      "seconds",
      "lr",
    ]);
    assert.deepEqual(parsed.map((p) => p.epoch), [1, 2, 3]);

    await fit(1);
    assert.equal((await Deno.readTextFile(path)).trimEnd().split("\n").length, 1);
    model.net.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
