/**
 * mmml's half of a paired vision run (`deno task bench vision-paired`): ResNet-18 trained on the PyTorch
 * reference's own random draws for a seed, as scripts/torch_draws.py writes them (its initial weights,
 * init.mmmlw, and its DataLoader's batch order, order.json, one list per epoch), with the settings of
 * `deno task bench vision`. Then the two sides differ only
 * in how they compute, not in what they were dealt, and their test accuracies compare seed by seed.
 * The batches follow order.json through the normal pipeline (train_run.ts's trainPrepared): the train
 * source is swapped for one that yields each epoch's images in that order.
 *
 *   deno run -A bench/vision_paired.ts TRAIN_DIR TEST_DIR DRAWS_DIR SEED THREADS REGISTRY_DIR
 *
 * Prints one JSON line: test accuracy, per-epoch training loss and images/s.
 */
import { join } from "node:path";
import { MmmlConfig } from "../src/config/schema.ts";
import { scanImageFolder } from "../src/data/image_folder_adapter.ts";
import { createImageSource } from "../src/preprocess/image_loader.ts";
import { createLogger } from "../src/log.ts";
import { imagePreprocessing, prepareImageData } from "../src/tasks/image_data.ts";
import { trainPrepared } from "../src/runs/train.ts";
import { openRegistry } from "../src/registry/open_registry.ts";
import type { BatchOptions, DataSource } from "../src/data/data_source.ts";

const [trainDir, testDir, drawsDir, seed, threads, registryDir] = Deno.args;
if (!registryDir) {
  throw new Error("usage: vision_paired.ts TRAIN_DIR TEST_DIR DRAWS_DIR SEED THREADS REGISTRY_DIR");
}
// One epoch per list in order.json.
const order = JSON.parse(await Deno.readTextFile(join(drawsDir, "order.json"))) as string[][];
const config = MmmlConfig.parse({
  data: {
    path: trainDir,
    test_path: testDir,
    split: { validation: 0 },
    image: { size: 28, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], augment: { enabled: false } },
  },
  model: { arch: "resnet18", dropout: 0, pretrained: join(drawsDir, "init.mmmlw") },
  training: {
    epochs: order.length,
    batch_size: 32,
    seed: Number(seed),
    threads: Number(threads),
    progress: false,
    optimizer: { epsilon: 1e-8 },
    // The reference's recipe: Adam at a constant rate (mmml's image default would anneal it).
    lr_schedule: { name: "constant" },
    early_stopping: { enabled: false },
    checkpoint: { enabled: false },
  },
  registry: { path: registryDir },
});
const logger = createLogger({ level: "warn" });
const data = await prepareImageData(config, logger);
const folder = await scanImageFolder(trainDir, { logger });
const byPath = new Map(folder.files.map((f) => [f.relPath, f]));
const epochFiles = order.map((paths, e) =>
  paths.map((p) => {
    const file = byPath.get(p);
    if (!file) throw new Error(`${drawsDir}/order.json epoch ${e + 1}: ${p} is not in ${trainDir}`);
    return file;
  })
);
const base = data.train;
let epoch = 0;
const ordered: DataSource = {
  size: base.size,
  inputShape: base.inputShape,
  numClasses: base.numClasses,
  labels: () => base.labels(),
  batches: (options: BatchOptions) =>
    createImageSource(epochFiles[epoch++], {
      ...imagePreprocessing(config),
      augment: config.data.image.augment,
      numClasses: data.classes.length,
      logger,
      cacheMb: 0,
    }).batches({ ...options, shuffle: false }),
};
const registry = await openRegistry(registryDir);
const result = await trainPrepared(config, { ...data, train: ordered }, { registry, logger });
const metrics = JSON.parse(await Deno.readTextFile(join(result.artifact, "metrics.json")));
const history = metrics.history as { loss: number; seconds: number }[];
console.log(JSON.stringify({
  seed: Number(seed),
  test_accuracy: result.metrics.test?.accuracy,
  epoch_train_loss: history.map((h) => Number(h.loss.toFixed(5))),
  train_images_per_sec: (5000 * history.length) / history.reduce((a, h) => a + h.seconds, 0),
}));
Deno.exit(0);
