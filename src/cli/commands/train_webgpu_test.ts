/**
 * `mmml train --backend webgpu` end to end, as CI runs it on lavapipe (.ci/setup_vulkan.sh): every
 * tensor read in training, evaluation, checkpoints and export must be asynchronous there, since
 * tfjs-backend-webgpu cannot read synchronously under Deno. Without an adapter the tests skip and say why.
 */
import { loadPredictor } from "../../runs/load_predictor.ts";
import { loadTrained } from "../../runs/load_trained.ts";
import assert from "node:assert/strict";
import type { ClassPrediction } from "../../inference/predictor_types.ts";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { readCsv } from "../../data/csv_adapter.ts";
import { syntheticTabularCsv } from "../../../testing/synthetic_tabular.ts";
import { useBackend } from "../../backend/choose.ts";
import { probeWebGpu } from "../../backend/webgpu.ts";
import { maxAbsDiff } from "../../../testing/onnx_parity.ts";
import { createOnnxSession } from "../../inference/onnx_session.ts";
import { scoreTable } from "../../tasks/tabular_scoring.ts";
import { openRegistry } from "../../registry/open_registry.ts";
import { cli, listTree } from "../../../testing/cli.ts";

const probe = await probeWebGpu();
const skip = probe.available ? "" : ` (skipped: ${probe.reason}; install mesa-vulkan-drivers libvulkan1)`;
const FLAT = new URL("../../../fixtures/images/flat", import.meta.url).pathname;
const QUIET = ["--set", "training.progress=false"];

/** Trains with `args` on webgpu into a fresh registry; returns the --json result, then resets to wasm. */
async function trainOnWebGpu(registry: string, args: string[]) {
  try {
    const r = await cli([
      "train",
      "--backend",
      "webgpu",
      "--registry",
      registry,
      "--json",
      ...QUIET,
      ...args,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  } finally {
    await useBackend("wasm");
  }
}

/** What every webgpu run must have produced: the version, its metrics and its artifacts. */
async function assertRegistered(out: Record<string, unknown> & { artifact: string }, files: string[]) {
  assert.equal(out.backend, "webgpu");
  assert.equal(out.engine, "tfjs");
  assert.equal(out.version, 1);
  const metrics = out.metrics as Record<string, Record<string, number>>;
  for (const split of ["val", "test"]) {
    for (const name of ["accuracy", "macro_f1", "log_loss"]) {
      const v = metrics[split][name];
      assert.ok(Number.isFinite(v), `${split}.${name} = ${v}`);
    }
  }
  const tree = await listTree(out.artifact);
  for (const file of files) assert.ok(tree.includes(file), `${file} missing; have ${tree}`);
  const saved = JSON.parse(await Deno.readTextFile(join(out.artifact, "metrics.json")));
  assert.equal(saved.backend.name, "webgpu");
  assert.equal(saved.history.length, out.epochs_run);
}

Deno.test({
  name: `train --backend webgpu: a CSV MLP registers, and its ONNX export matches the webgpu model${skip}`,
  ignore: !probe.available,
  async fn() {
    await useBackend("wasm");
    const tensorsBefore = tf.memory().numTensors;
    const dir = await Deno.makeTempDir({ prefix: "mmml_webgpu_csv_" });
    try {
      const csv = join(dir, "blobs.csv");
      await Deno.writeTextFile(
        csv,
        syntheticTabularCsv({ rows: 120, numeric: 4, categorical: 1, levels: 3, missing: 0.05, seed: 3 }),
      );
      const registry = join(dir, "models");
      // Without early stopping and checkpoints, nothing reads the weights back before the export does
      // (an asynchronous read leaves a CPU copy behind that a later synchronous read would get away with).
      const out = await trainOnWebGpu(registry, [
        "--data",
        csv,
        "--label",
        "label",
        "--epochs",
        "2",
        "--set",
        "training.early_stopping.enabled=false",
        "--set",
        "training.checkpoint.enabled=false",
      ]);
      assert.equal(out.epochs_run, 2);
      await assertRegistered(out, [
        "model.onnx",
        "model/weights.bin",
        "preprocessor.json",
      ]);

      // The registered tfjs model scored on webgpu against the exported graph on ONNX Runtime (CPU),
      // over every row of the file (missing cells included: the graph imputes them).
      const reg = await openRegistry(registry);
      try {
        const table = await readCsv(csv);
        const trained = await loadTrained(reg, "blobs", { backend: "webgpu" });
        let tfjsProbs: Float32Array;
        try {
          assert.equal(tf.getBackend(), "webgpu");
          tfjsProbs = (await scoreTable(trained, table)).probs;
        } finally {
          trained.dispose();
          await useBackend("wasm");
        }
        const predictor = await loadPredictor(await reg.resolve("blobs"), { providers: ["cpu"] });
        try {
          const rows = Array.from(
            { length: table.rowCount },
            (_, i) => Object.fromEntries([...table.columns].map(([name, cells]) => [name, cells[i]])),
          );
          const predictions = await predictor.predictRows(rows) as ClassPrediction[];
          const onnxProbs = Float32Array.from(
            predictions.flatMap((p) => trained.classes.map((c) => p.probabilities[c])),
          );
          const diff = maxAbsDiff(tfjsProbs, onnxProbs);
          assert.ok(diff < 1e-4, `tfjs (webgpu) and ONNX probabilities differ by ${diff}`);
        } finally {
          await predictor.close();
        }
        // `mmml predict --backend webgpu` scores the webgpu-trained model on webgpu, as loadTrained did.
        try {
          const predicted = await cli([
            "predict",
            "--model",
            "blobs",
            "--registry",
            registry,
            "--input",
            csv,
            "--backend",
            "webgpu",
            "--json",
          ]);
          assert.equal(predicted.code, 0, predicted.stderr);
          const rows: { probabilities: Record<string, number> }[] = JSON.parse(predicted.stdout).predictions;
          const cliProbs = Float32Array.from(
            rows.flatMap((p) => Object.values(p.probabilities)),
          );
          assert.equal(maxAbsDiff(cliProbs, tfjsProbs), 0, "mmml predict --backend webgpu");
        } finally {
          await useBackend("wasm");
        }
      } finally {
        await reg.close();
      }
      assert.equal(tf.memory().numTensors, tensorsBefore, "tensors leaked");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    `train --backend webgpu: a small-stem ResNet-18 on an image folder registers with an ONNX export${skip}`,
  ignore: !probe.available,
  async fn() {
    await useBackend("wasm");
    const tensorsBefore = tf.memory().numTensors;
    const dir = await Deno.makeTempDir({ prefix: "mmml_webgpu_images_" });
    try {
      const out = await trainOnWebGpu(dir, [
        "--data",
        FLAT,
        "--model",
        "resnet18",
        "--set",
        "model.stem=small",
        "--set",
        "data.image.size=8",
        "--epochs",
        "1",
        "--batch-size",
        "4",
      ]);
      assert.equal(out.task, "image");
      assert.equal(out.epochs_run, 1);
      await assertRegistered(out, ["model.onnx", "model/weights.bin", "classes.json"]);
      // The exported graph opens and gives a probability row per image.
      const { session } = await createOnnxSession(join(out.artifact, "model.onnx"), { providers: ["cpu"] });
      try {
        const x = new Float32Array(2 * 8 * 8 * 3).map((_, i) => Math.sin(i));
        const probs = (await session.run({ input: { type: "float32", data: x, dims: [2, 8, 8, 3] } }))
          .probabilities;
        assert.deepEqual(probs.dims, [2, 3]);
        for (let r = 0; r < 2; r++) {
          const row = [...(probs.data as Float32Array).subarray(r * 3, r * 3 + 3)];
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `row ${r} sums to ${row}`);
        }
      } finally {
        await session.close();
      }
      assert.equal(tf.memory().numTensors, tensorsBefore, "tensors leaked");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
