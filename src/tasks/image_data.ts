/**
 * Turns an image folder into training data: scan (skipping unreadable files with a warning), split
 * (explicit train/val/test folders or a stratified seeded split; `--test DIR` names a separate folder),
 * and streaming sources that decode, cache, augment (training only) and normalise.
 */
import type { MmmlConfig } from "../config/schema.ts";
import { imageFolderFingerprint, scanImageFolder, splitImageFolder } from "../data/image_folder_adapter.ts";
import { createImageSource } from "../preprocess/image_loader.ts";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { imagePreprocessing } from "../preprocess/image_preprocessing.ts";
import type { PreparedData } from "./prepared_data.ts";

/** Scans, splits and wraps the image folder named by config.data.path. */
export async function prepareImageData(config: MmmlConfig, logger: Logger): Promise<PreparedData> {
  const { data, training } = config;
  if (!data.path) throw new MmmlError("usage", "missing --data DIR/");
  const t0 = performance.now();
  const folder = await scanImageFolder(data.path, { strict: data.image.strict, logger });
  const splitOptions = {
    validation: data.split.validation,
    test: data.test_path ? 0 : data.split.test,
    seed: training.seed,
    stratify: data.split.stratify,
  };
  const splits = splitImageFolder(folder, splitOptions);
  let test = splits.test;
  if (data.test_path) {
    const testFolder = await scanImageFolder(data.test_path, { strict: data.image.strict, logger });
    const names = testFolder.classes;
    const unknown = names.filter((c) => !folder.classes.includes(c));
    if (unknown.length) {
      throw new MmmlError(
        "invalid_input",
        `--test ${data.test_path}: class folder(s) ${
          unknown.map((c) => `"${c}"`).join(", ")
        } are not among ` +
          `the training classes (${folder.classes.join(", ")})`,
      );
    }
    test = testFolder.files.map((f) => ({ ...f, label: folder.classes.indexOf(names[f.label]) }));
  }
  const fingerprint = await imageFolderFingerprint(folder);
  const loadSeconds = (performance.now() - t0) / 1000;
  const pre = imagePreprocessing(config);
  const k = folder.classes.length;
  const source = (files: typeof test, prefetch: number) =>
    files.length
      ? createImageSource(files, {
        ...pre,
        augment: data.image.augment,
        numClasses: k,
        logger,
        cacheMb: data.image.cache_mb,
        prefetch,
        strict: data.image.strict,
      })
      : null;
  const train = source(splits.train, 2);
  if (!train) throw new MmmlError("invalid_input", `${data.path}: no training images after the split`);
  logger.info(
    `data: ${folder.files.length} images in ${k} classes from ${data.path} (${folder.layout} layout); ` +
      `train ${splits.train.length}, val ${splits.val.length}, test ${test.length}; ${pre.size}x${pre.size}x` +
      `${pre.channels}`,
  );
  return {
    task: "image",
    classes: folder.classes,
    inputShape: [pre.size, pre.size, pre.channels],
    train,
    val: source(splits.val, 1),
    test: source(test, 1),
    testSource: data.test_path ??
      (folder.layout === "splits" && splits.test.length ? "test folder" : "split"),
    augment: data.image.augment.enabled,
    fingerprint,
    artifacts: { image_preprocessing: pre },
    loadSeconds,
    preprocessSeconds: 0,
  };
}
