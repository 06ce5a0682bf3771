/**
 * The embedding cache trains the same head as the uncached run: ResNet-18 (small stem, 32 px, dropout 0)
 * with a frozen backbone and no augmentation on fixtures/images/flat, once with training.cache_embeddings
 * and once without, same seed; the heads agree within 1e-4 and nothing of the cache is left behind.
 */
import assert from "node:assert/strict";
import { cli } from "../../testing/cli.ts";
import { HEAD_LAYER } from "../models/mlp.ts";
import { openRegistry } from "../registry/open_registry.ts";
import { loadTrained } from "./load_trained.ts";
import { embeddingCacheVerdict } from "./embedding_cache.ts";
import { MmmlConfig } from "../config/schema.ts";
import type { TrainedImage } from "../tasks/trained_model.ts";

const FLAT = new URL("../../fixtures/images/flat", import.meta.url).pathname;

function trainArgs(registry: string, name: string, cache: boolean, extra: string[] = []): string[] {
  return [
    "train",
    "--data",
    FLAT,
    "--model",
    "resnet18",
    "--image-size",
    "32",
    "--epochs",
    "3",
    "--batch-size",
    "4",
    "--freeze-backbone",
    "--name",
    name,
    "--registry",
    registry,
    "--json",
    ...["model.stem=small", "model.dropout=0", "data.image.augment.enabled=false", "training.progress=false"]
      .flatMap((s) => ["--set", s]),
    "--set",
    `training.cache_embeddings=${cache}`,
    ...extra.flatMap((s) => ["--set", s]),
  ];
}

Deno.test("a frozen backbone without augmentation trains its head on cached features to the same weights", async () => {
  const registry = await Deno.makeTempDir({ prefix: "mmml_embeddings_" });
  try {
    const cached = await cli(trainArgs(registry, "cached", true));
    assert.equal(cached.code, 0, cached.stderr);
    assert.match(cached.stderr, /embedding cache: 1[0-9] images -> 512 features each/);
    const plain = await cli(trainArgs(registry, "plain", false));
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /embedding cache off: training.cache_embeddings is false/);
    const reg = await openRegistry(registry);
    const heads = await Promise.all(["cached", "plain"].map(async (name) => {
      const trained = await loadTrained(reg, name) as TrainedImage;
      const weights = trained.model.net.getLayer(HEAD_LAYER).getWeights().map((w) => w.dataSync().slice());
      trained.model.net.dispose();
      return weights;
    }));
    let max = 0;
    heads[0].forEach((w, i) => w.forEach((v, j) => (max = Math.max(max, Math.abs(v - heads[1][i][j])))));
    assert.ok(max < 1e-4, `head weights differ by ${max}`);
    assert.equal(JSON.parse(cached.stdout).epochs_run, JSON.parse(plain.stdout).epochs_run);
    // The work folders are gone with their caches: only published versions remain.
    for await (const e of Deno.readDir(registry)) assert.notEqual(e.name, ".work", "no work folder left");
  } finally {
    await Deno.remove(registry, { recursive: true });
  }
});

Deno.test("the cache says why it is off: augmentation on, or a backbone that is not frozen", async () => {
  const registry = await Deno.makeTempDir({ prefix: "mmml_embeddings_" });
  try {
    const run = await cli(
      trainArgs(registry, "aug", true, ["data.image.augment.enabled=true", "training.epochs=1"]),
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /embedding cache off: augmentation is on \(data.image.augment.enabled: false turns it off\)/,
    );
  } finally {
    await Deno.remove(registry, { recursive: true });
  }
});

Deno.test("embeddingCacheVerdict: on for a frozen backbone without augmentation, else the reason", () => {
  const config = (model: Record<string, unknown>, training: Record<string, unknown> = {}) =>
    MmmlConfig.parse({ model: { arch: "resnet18", ...model }, training });
  const frozen = config({ freeze_backbone: true });
  const ok = { augment: false, resumed: false, featureWidth: 512, rows: 5000 };
  assert.equal(embeddingCacheVerdict(frozen, ok), null);
  assert.equal(embeddingCacheVerdict(config({}), ok), "the backbone is not frozen");
  assert.match(embeddingCacheVerdict(frozen, { ...ok, augment: true })!, /^augmentation is on/);
  assert.match(embeddingCacheVerdict(frozen, { ...ok, resumed: true })!, /resumed/);
  assert.equal(
    embeddingCacheVerdict(config({ freeze_backbone: true }, { cache_embeddings: false }), ok),
    "training.cache_embeddings is false",
  );
  assert.equal(
    embeddingCacheVerdict(frozen, { ...ok, featureWidth: 2048, rows: 300_000 }),
    "300000 images x 2048 features would hold 2.3 GiB in memory (over 2 GiB)",
  );
});
