/**
 * An image model end to end: `mmml train` on fixtures/images/flat, then the same images predicted by
 * the tfjs model in-process, by `mmml predict`, by a real server over POST /predict/image (multipart
 * and base64 JSON) and by OIP v2 infer on the preprocessed tensor: the same labels everywhere and
 * probabilities within 1e-4. Then `mmml evaluate` on the folder and the errors a user meets.
 */
import { loadPredictor } from "../../runs/load_predictor.ts";
import { loadTrained } from "../../runs/load_trained.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ServingConfig } from "../../config/schema.ts";
import { decodeImage } from "../../data/image_decode.ts";
import { maxAbsDiff } from "../../../testing/onnx_parity.ts";
import { createMemoryLogger } from "../../log.ts";
import { type TrainedImage } from "../../tasks/trained_model.ts";
import { runImagePrediction } from "../../tasks/image_scoring.ts";
import { preprocessImage } from "../../preprocess/image_preprocessor.ts";
import { openRegistry } from "../../registry/open_registry.ts";
import { startServer } from "../../server/start_server.ts";
import { classificationMetrics } from "../../evaluation/metrics.ts";
import { cli, logMessages } from "../../../testing/cli.ts";

const FIXTURES = new URL("../../../fixtures/images", import.meta.url).pathname;
const FLAT = join(FIXTURES, "flat");
const TOL = 1e-4;
/** The decodable images of fixtures/images/flat, by path below it, sorted; broken.png and truncated.jpg are not. */
const GOOD = [
  "circle/00_png_gray.png",
  "circle/01_png_rgb.png",
  "circle/02_jpeg_rgb.jpg",
  "circle/03_png_palette.png",
  "square/00_png_rgba.png",
  "square/01_jpeg_gray.JPEG",
  "square/02_png_gray_alpha.png",
  "square/03_png_rgb.png",
  "stripes/00_png_rgb.png",
  "stripes/01_png_gray.png",
  "stripes/02_jpeg_rgb.jpg",
  "stripes/03_png_rgba.png",
];

/** Standard base64, as a client would send it. */
function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

interface Scored {
  label: string;
  probabilities: Record<string, number>;
}

/** Probabilities in class order, row after row. */
const flat = (rows: Scored[], classes: string[]) =>
  rows.flatMap((r) => classes.map((c) => r.probabilities[c]));

function assertSame(got: Scored[], want: Scored[], classes: string[], what: string): void {
  assert.equal(got.length, want.length, what);
  assert.deepEqual(got.map((p) => p.label), want.map((p) => p.label), `${what}: labels`);
  const diff = maxAbsDiff(flat(got, classes), flat(want, classes));
  assert.ok(diff < TOL, `${what}: max probability difference ${diff}`);
}

/** The preprocessed batch [n, size, size, channels], decoded and normalised by the shared code. */
async function preprocessed(trained: TrainedImage, files: Uint8Array[]): Promise<Float32Array> {
  const { size, channels } = trained.image;
  const x = new Float32Array(files.length * size * size * channels);
  for (const [i, bytes] of files.entries()) {
    x.set(preprocessImage(await decodeImage(bytes), trained.image), i * size * size * channels);
  }
  return x;
}

Deno.test("an image model predicts the same through tfjs, mmml predict, POST /predict/image and OIP v2", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_image_e2e_" });
  const registryDir = join(dir, "registry");
  try {
    const trainedRun = await cli([
      "train",
      "--data",
      FLAT,
      "--model",
      "resnet18",
      "--set",
      "model.stem=small",
      "--image-size",
      "16",
      "--epochs",
      "1",
      "--seed",
      "3",
      "--set",
      "training.progress=false",
      "--registry",
      registryDir,
      "--json",
    ]);
    assert.equal(trainedRun.code, 0, trainedRun.stderr);
    assert.equal(JSON.parse(trainedRun.stdout).task, "image");
    const saved = JSON.parse(
      await Deno.readTextFile(join(JSON.parse(trainedRun.stdout).artifact, "config.json")),
    );
    assert.equal(saved.training.lr_schedule.name, "cosine", "auto resolves to cosine for images");

    const bytes = await Promise.all(GOOD.map((f) => Deno.readFile(join(FLAT, f))));
    const registry = await openRegistry(registryDir);
    const loaded = await loadTrained(registry, "flat");
    assert.equal(loaded.task, "image");
    const trained = loaded as TrainedImage;
    const classes = trained.classes;
    const { size, channels } = trained.image;
    const x = await preprocessed(trained, bytes);
    let reference: Scored[] = [];
    try {
      await t.step("(a) the tfjs model in-process", async () => {
        const probs = tf.tidy(() => trained.model.predict(tf.tensor(x, [GOOD.length, size, size, channels])));
        const values = await probs.data() as Float32Array;
        probs.dispose();
        reference = GOOD.map((_, i) => {
          const row = Array.from(values.subarray(i * classes.length, (i + 1) * classes.length));
          return {
            label: classes[row.indexOf(Math.max(...row))],
            probabilities: Object.fromEntries(classes.map((c, k) => [c, row[k]])),
          };
        });
        // A model whose output does not depend on the image would make every comparison below vacuous.
        const spread = Math.max(...flat(reference, classes)) - Math.min(...flat(reference, classes));
        assert.ok(spread > 0.05, `probabilities barely vary: ${spread}`);
      });

      await t.step(
        "(b) mmml predict over the folder, in path order, skipping undecodable files",
        async () => {
          const r = await cli([
            "predict",
            "--model",
            "flat",
            "--input",
            FLAT,
            "--registry",
            registryDir,
            "--json",
          ]);
          assert.equal(r.code, 0, r.stderr);
          const out = JSON.parse(r.stdout);
          assert.deepEqual(
            out.predictions.map((p: { file: string }) => p.file),
            GOOD.map((f) => `${FLAT}/${f}`),
          );
          assertSame(out.predictions, reference, classes, "mmml predict");
          const warnings = logMessages(r.stderr, "warn").join("\n");
          assert.match(warnings, /broken\.png/);
          assert.match(warnings, /truncated\.jpg/);
        },
      );

      await t.step("runImagePrediction frees every tensor it makes", async () => {
        const before = tf.memory().numTensors;
        const { predictions, skipped } = await runImagePrediction(trained, join(FLAT, "circle"), {
          display: "circle",
        });
        assert.deepEqual(predictions.map((p) => p.file), GOOD.slice(0, 4));
        assert.deepEqual(skipped, ["circle/broken.png"]);
        assertSame(predictions, reference.slice(0, 4), classes, "runImagePrediction");
        assert.equal(tf.memory().numTensors, before);
      });

      await t.step("(c, d) a real server: multipart, base64 JSON and OIP v2 infer", async () => {
        const started = await startServer({
          config: ServingConfig.parse({ port: 0, watch_interval_ms: 0 }),
          registry,
          load: (v) => loadPredictor(v, { providers: ["cpu"] }),
          logger: createMemoryLogger(),
          refs: ["flat"],
        });
        const base = `http://127.0.0.1:${started.server.addr.port}`;
        try {
          assert.deepEqual(await started.loaded, []);
          const form = new FormData();
          form.set("model", "flat");
          GOOD.forEach((f, i) => form.append("file", new Blob([bytes[i]]), f));
          const multipart = await fetch(`${base}/predict/image`, { method: "POST", body: form });
          const m = await multipart.json();
          assert.equal(multipart.status, 200, JSON.stringify(m));
          assertSame(m.predictions, reference, classes, "multipart");
          assert.deepEqual(
            m.predictions[0].top_k.map((e: { label: string }) => e.label)[0],
            reference[0].label,
          );

          const json = await fetch(`${base}/predict/image`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ model: "flat", images: bytes.map(base64) }),
          });
          const j = await json.json();
          assert.equal(json.status, 200, JSON.stringify(j));
          assertSame(j.predictions, reference, classes, "base64 JSON");

          const infer = await fetch(`${base}/v2/models/flat/infer`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              inputs: [{
                name: "input",
                datatype: "FP32",
                shape: [GOOD.length, size, size, channels],
                data: [...x],
              }],
            }),
          });
          const v2 = await infer.json();
          assert.equal(infer.status, 200, JSON.stringify(v2));
          const [out] = v2.outputs;
          assert.equal(out.name, "probabilities");
          assert.deepEqual(out.shape, [GOOD.length, classes.length]);
          const diff = maxAbsDiff(out.data, flat(reference, classes));
          assert.ok(diff < TOL, `OIP v2 infer: max probability difference ${diff}`);

          const corrupt = new FormData();
          corrupt.set("model", "flat");
          corrupt.append(
            "file",
            new Blob([await Deno.readFile(join(FLAT, "square/truncated.jpg"))]),
            "t.jpg",
          );
          const bad = await fetch(`${base}/predict/image`, { method: "POST", body: corrupt });
          const body = await bad.json();
          assert.equal(bad.status, 400);
          assert.match(body.error.message, /images\[0\]: corrupt JPEG/);
        } finally {
          await started.server.shutdown();
          await started.close();
        }
      });

      await t.step("mmml evaluate on the folder gives the metrics of the tfjs probabilities", async () => {
        const r = await cli([
          "evaluate",
          "--model",
          "flat",
          "--data",
          FLAT,
          "--registry",
          registryDir,
          "--json",
        ]);
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.equal(out.rows, GOOD.length);
        const y = GOOD.map((f) => classes.indexOf(f.split("/")[0]));
        const want = classificationMetrics(flat(reference, classes), y, classes.length, classes);
        assert.deepEqual(out.metrics.confusion_matrix, want.confusion_matrix);
        assert.ok(Math.abs(out.metrics.log_loss - want.log_loss!) < 1e-4);
        assert.equal(out.metrics.accuracy, want.accuracy);
      });
    } finally {
      trained.dispose();
      await registry.close();
    }

    await t.step(
      "predict --top-k lists the most probable labels, single files and output files",
      async () => {
        const out = join(dir, "out.jsonl");
        const file = join(FLAT, GOOD[4]);
        const r = await cli([
          "predict",
          "--model",
          "flat",
          "--input",
          file,
          "--top-k",
          "2",
          "--output",
          out,
          "--registry",
          registryDir,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const [line] = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
        assert.equal(line.file, file);
        assertSame([line], [reference[4]], classes, "single file");
        assert.equal(line.top_k.length, 2);
        assert.equal(line.top_k[0].label, line.label);
        assert.ok(line.top_k[0].probability >= line.top_k[1].probability);
      },
    );

    await t.step(
      "a corrupt file named alone, an unknown class folder and a CSV are refused clearly",
      async () => {
        const corrupt = await cli([
          "predict",
          "--model",
          "flat",
          "--input",
          join(FLAT, "square/truncated.jpg"),
          "--registry",
          registryDir,
        ]);
        assert.equal(corrupt.code, 2);
        assert.match(corrupt.stderr, /truncated\.jpg.*corrupt JPEG/);

        const other = join(dir, "other");
        for (const c of ["circle", "hexagon"]) {
          await Deno.mkdir(join(other, c), { recursive: true });
          await Deno.copyFile(join(FLAT, GOOD[0]), join(other, c, "a.png"));
        }
        const unknown = await cli([
          "evaluate",
          "--model",
          "flat",
          "--data",
          other,
          "--registry",
          registryDir,
        ]);
        assert.equal(unknown.code, 2);
        assert.match(unknown.stderr, /class folder\(s\) "hexagon" are not classes of flat@1/);

        const csv = join(dir, "rows.csv");
        await Deno.writeTextFile(csv, "a,b\n1,2\n");
        const tabular = await cli(["evaluate", "--model", "flat", "--data", csv, "--registry", registryDir]);
        assert.notEqual(tabular.code, 0);
        assert.match(tabular.stderr, /rows\.csv/);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
