import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../../testing/cli.ts";
import { MmmlConfig } from "../config/schema.ts";
import type { FitResult } from "../training/trainer.ts";
import { fineTunePlan, mergePhases } from "./fit_phases.ts";

const FLAT = new URL("../../fixtures/images/flat", import.meta.url).pathname;

Deno.test("fineTunePlan: auto fine-tunes pretrained, unfrozen image models only; true elsewhere is an error", () => {
  const plan = (model: Record<string, unknown>, fineTune: Record<string, unknown> = {}) =>
    fineTunePlan(
      MmmlConfig.parse({ model: { arch: "resnet18", ...model }, training: { fine_tune: fineTune } }),
    );
  assert.deepEqual(plan({ pretrained: "w.safetensors" }), { freezeEpochs: 1, backboneLrMult: 0.01 });
  assert.equal(plan({}), null, "no pretrained weights: one plain fit");
  assert.equal(plan({ pretrained: "w.safetensors", freeze_backbone: true }), null);
  assert.equal(plan({ pretrained: "w.safetensors" }, { enabled: false }), null);
  assert.deepEqual(plan({}, { enabled: true, freeze_epochs: 2, backbone_lr_mult: 0.1 }), {
    freezeEpochs: 2,
    backboneLrMult: 0.1,
  });
  assert.throws(
    () => plan({ freeze_backbone: true }, { enabled: true }),
    /needs an image model whose backbone is not frozen/,
  );
  assert.throws(
    () =>
      fineTunePlan(MmmlConfig.parse({ model: { arch: "mlp" }, training: { fine_tune: { enabled: true } } })),
    /received model.arch: mlp/,
  );
});

Deno.test("mergePhases numbers phase 2's epochs after phase 1's and adds the seconds", () => {
  const fit = (epochs: number, seconds: number, best: number): FitResult => ({
    history: Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, loss: 1, seconds: 1, lr: 0.1 })),
    stoppedEarly: false,
    stopReason: null,
    bestEpoch: best,
    trainSeconds: seconds,
    samplesPerSecond: 100,
    engine: "tfjs",
    engineReason: "x",
  });
  const merged = mergePhases(fit(1, 2, 1), fit(3, 6, 2));
  assert.deepEqual(merged.history.map((h) => h.epoch), [1, 2, 3, 4]);
  assert.equal(merged.bestEpoch, 3);
  assert.equal(merged.trainSeconds, 8);
  assert.equal(merged.samplesPerSecond, 100);
});

Deno.test("train with training.fine_tune: the head alone (through the embedding cache), then the whole network", async () => {
  const registry = await Deno.makeTempDir({ prefix: "mmml_fine_tune_" });
  try {
    const run = await cli([
      "train",
      "--data",
      FLAT,
      "--model",
      "resnet18",
      "--image-size",
      "32",
      "--epochs",
      "2",
      "--batch-size",
      "4",
      "--registry",
      registry,
      "--json",
      ...[
        "model.stem=small",
        "data.image.augment.enabled=false",
        "training.progress=false",
        "training.early_stopping.enabled=false",
        "training.fine_tune.enabled=true",
        "training.optimizer.lr=0.002",
      ].flatMap((s) => ["--set", s]),
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /fine-tune: 1 epoch\(s\) of the head alone at lr 0.002, then 2 of the whole network at lr 0.001 with the backbone at x 0.01/,
    );
    assert.match(run.stderr, /embedding cache: \d+ images -> 512 features each/);
    const result = JSON.parse(run.stdout);
    assert.equal(result.epochs_run, 3);
    assert.equal(result.engine, "tfjs");
    const metrics = JSON.parse(await Deno.readTextFile(join(result.artifact, "metrics.json")));
    assert.deepEqual(metrics.history.map((h: { epoch: number }) => h.epoch), [1, 2, 3]);
    assert.ok(
      metrics.history[1].lr <= 0.001 + 1e-9,
      `phase 2 runs at half the rate: ${metrics.history[1].lr}`,
    );
    const lines = (await Deno.readTextFile(join(result.artifact, "history.jsonl"))).trim().split("\n");
    assert.deepEqual(lines.map((l) => JSON.parse(l).epoch), [1, 2, 3]);
  } finally {
    await Deno.remove(registry, { recursive: true });
  }
});
