/**
 * One training run, end to end: data -> model -> Trainer with callbacks -> metrics -> ONNX export ->
 * a new registry version. Artifacts are built in a private work folder and only published (atomically,
 * by the registry) when everything succeeded, so a failed run leaves the registry as it was.
 */
import { basename, join } from "node:path";
import { artifactFolder } from "../artifacts/artifact_folder.ts";
import { CHECKPOINTS_DIR, HISTORY_FILE, ONNX_FILE } from "../artifacts/version_files.ts";
import { type MmmlConfig, type Task, VISION_ARCH_NAMES } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { exportOnnx } from "../export/onnx_exporter.ts";
import { readWeightValues } from "../export/onnx_layer_call.ts";
import type { Logger } from "../log.ts";
import { buildModel } from "../models/architectures.ts";
import type { MmmlModel } from "../models/model.ts";
import { loadModel, saveModel } from "../models/model_io.ts";
import type { Registry } from "../registry/registry_types.ts";
import type { Callback } from "../training/callbacks/callback.ts";
import { earlyStopping } from "../training/callbacks/early_stopping.ts";
import { metricsLogger } from "../training/callbacks/metrics_logger.ts";
import { modelCheckpoint } from "../training/callbacks/model_checkpoint.ts";
import { progressBar } from "../training/callbacks/progress.ts";
import { reduceLrOnPlateau } from "../training/callbacks/reduce_lr_on_plateau.ts";
import { resolveLrSchedule } from "../training/lr_schedule.ts";
import { classWeights } from "../training/class_weights.ts";
import { classificationMetrics, type ClassificationReport, flattenMetrics } from "../evaluation/metrics.ts";
import { createTrainer, type FitResult } from "../training/trainer.ts";
import type { DataSource } from "../data/data_source.ts";
import { loadPretrained } from "../models/pretrained.ts";
import { writeRunReport } from "../report/write_run_report.ts";
import { prepareImageData } from "../tasks/image_data.ts";
import { predictSource, type PreparedData, writeRunInputs } from "../tasks/prepared_data.ts";
import { prepareTabularData, tabularPrepared } from "../tasks/tabular_data.ts";
import {
  closeRunWorkDir,
  copyTree,
  createRunWorkDir,
  type ResumePoint,
  writeWorkInputs,
} from "./work_dir.ts";

/** The `--json` contract of `mmml train`. */
export interface TrainRunResult {
  name: string;
  version: number;
  task: Task;
  backend: string;
  engine: string;
  metrics: { val: Record<string, number>; test: Record<string, number> };
  epochs_run: number;
  best_epoch: number;
  train_seconds: number;
  samples_per_second: number;
  artifact: string;
}

export interface TrainRunDeps {
  registry: Registry;
  logger: Logger;
  /** Whether stderr is a terminal (progress bar redraws) */
  isTerminal?: boolean;
}

/** Detects the task from the data path: a folder is an image data set, anything else a CSV. */
export async function detectTask(config: MmmlConfig): Promise<Task> {
  if (config.data.task !== "auto") return config.data.task;
  if (!config.data.path) throw new MmmlError("usage", "missing --data FILE.csv or --data DIR/");
  try {
    return (await Deno.stat(config.data.path)).isDirectory ? "image" : "tabular";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `--data ${config.data.path}: no such file or folder`);
    }
    throw err;
  }
}

/** The model name: --name, else the data file's or folder's base name. */
export function modelName(config: MmmlConfig): string {
  if (config.registry.name) return config.registry.name;
  const base = basename((config.data.path ?? "model").replace(/[\\/]+$/, "")).replace(/\.[^.]*$/, "");
  const cleaned = base.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^[^A-Za-z0-9]+/, "");
  return cleaned || "model";
}

/** Builds the callbacks the config asks for; checkpoints and the metrics log go under `workDir`. */
function callbacksFor(config: MmmlConfig, workDir: string, deps: TrainRunDeps): Callback[] {
  const { training } = config;
  const list: Callback[] = [];
  if (training.progress) {
    list.push(progressBar({ logger: deps.logger, isTerminal: deps.isTerminal ?? false }));
  }
  list.push(metricsLogger(join(workDir, HISTORY_FILE)));
  // Early stopping updates its state before the checkpoint saves it (resumable runs).
  if (training.early_stopping.enabled) {
    list.push(earlyStopping({
      monitor: training.early_stopping.monitor,
      mode: training.early_stopping.mode,
      patience: training.early_stopping.patience,
      minDelta: training.early_stopping.min_delta,
      restoreBest: training.early_stopping.restore_best,
      logger: deps.logger,
    }));
  }
  // Before the checkpoint too: its rate factor goes into the saved trainer state.
  const plateau = training.reduce_on_plateau;
  if (plateau.enabled) {
    list.push(reduceLrOnPlateau({
      monitor: plateau.monitor,
      mode: plateau.mode,
      factor: plateau.factor,
      patience: plateau.patience,
      minDelta: plateau.min_delta,
      cooldown: plateau.cooldown,
      minLr: plateau.min_lr,
      logger: deps.logger,
    }));
  }
  if (training.checkpoint.enabled) {
    list.push(modelCheckpoint({
      dir: join(workDir, CHECKPOINTS_DIR),
      monitor: training.checkpoint.monitor,
      mode: training.checkpoint.mode,
      saveBest: training.checkpoint.save_best,
      saveLast: training.checkpoint.save_last,
      logger: deps.logger,
    }));
  }
  return list;
}

const SCALAR_KEYS = ["accuracy", "macro_f1", "weighted_f1", "precision", "recall", "auc", "log_loss"];

function scalars(report: ClassificationReport | null): Record<string, number> {
  if (!report) return {};
  const flat = flattenMetrics(report);
  return Object.fromEntries(SCALAR_KEYS.filter((k) => typeof flat[k] === "number").map((k) => [k, flat[k]]));
}

/**
 * Trains, evaluates, exports and registers a model on prepared data of either task; with `resume`, it
 * continues from that checkpoint instead of a fresh model (see resume.ts). The run works in a folder
 * kept in the registry (run_work_dir.ts) so a killed run can be resumed.
 */
export async function trainPrepared(
  config: MmmlConfig,
  data: PreparedData,
  deps: TrainRunDeps,
  resume?: ResumePoint,
): Promise<TrainRunResult> {
  const { logger, registry } = deps;
  // Resolved before anything is saved, so the run's config.json says which schedule ran.
  config = {
    ...config,
    training: { ...config.training, lr_schedule: resolveLrSchedule(config.training.lr_schedule, data.task) },
  };
  const name = modelName(config);
  const backend = await useBackend(config.training.backend, { threads: config.training.threads, logger });
  logger.info(`backend: ${backend.name} (${backend.reason})`);
  const k = data.classes.length;
  const model: MmmlModel = resume ? await loadModel(resume.checkpoint) : buildModel(config.model, {
    inputShape: data.inputShape,
    numClasses: k,
    seed: config.training.seed,
  });
  const workDir = resume ? await resume.openWorkDir() : await createRunWorkDir(registry, name);
  let published = false;
  try {
    logger.info(`work folder: ${workDir} (if this run dies, continue it with --resume-dir ${workDir})`);
    await writeWorkInputs(workDir, { config, data, name, resumedFrom: resume?.resumedFrom ?? null });
    if (config.model.arch !== "mlp") {
      if (config.model.pretrained && !resume) {
        // The file's first conv is the ImageNet 7x7 (ResNet) on 3 channels: a small stem or gray input
        // changes its shape, so that layer starts from its initialisation.
        const firstConv = config.model.arch.startsWith("resnet") ? "conv1" : "features.0.0";
        const stemDiffers = (config.model.stem === "small" && config.model.arch.startsWith("resnet")) ||
          config.data.image.channels === 1;
        const loaded = await loadPretrained(model, config.model.pretrained, {
          skipLayers: stemDiffers ? [firstConv] : [],
        });
        logger.info(`pretrained: ${loaded.loaded} weights from ${config.model.pretrained}`, {
          skipped: loaded.skippedLayers,
        });
      }
      if (config.model.freeze_backbone) model.freeze();
    }
    const weights = classWeights(data.train.labels(), k, config.training.class_weights, data.classes);
    logger.info(
      `model: ${config.model.arch}, ${model.paramCount()} parameters (${model.trainableParamCount()} trainable)`,
    );
    const fit: FitResult = await createTrainer({ logger }).fit(model, data.train, data.val, {
      epochs: config.training.epochs,
      batchSize: config.training.batch_size,
      optimizer: config.training.optimizer,
      lrSchedule: config.training.lr_schedule,
      classWeights: weights,
      seed: config.training.seed,
      shuffle: config.training.shuffle,
      augment: data.augment,
      callbacks: callbacksFor(config, workDir, deps),
      backend: backend.name,
      monitor: data.val ? config.training.early_stopping.monitor : "loss",
      mode: config.training.early_stopping.mode,
      valMetrics: (probs, y, classes) => ({ macro_f1: classificationMetrics(probs, y, classes).macro_f1 }),
      resume: resume?.state,
    });
    logger.info(
      `trained ${fit.history.length} epoch(s) with the ${fit.engine} engine in ${
        fit.trainSeconds.toFixed(2)
      } s ` +
        `(${Math.round(fit.samplesPerSecond)} samples/s)${fit.stopReason ? `; ${fit.stopReason}` : ""}`,
    );
    const valProbs = data.val ? await predictSource(model, data.val) : null;
    const testProbs = data.test ? await predictSource(model, data.test) : null;
    const report = (part: DataSource | null, probs: Float32Array | null) =>
      part && probs ? classificationMetrics(probs, part.labels(), k, data.classes) : null;
    const valReport = report(data.val, valProbs);
    const testReport = report(data.test, testProbs);
    const metrics = { val: scalars(valReport), test: scalars(testReport) };
    const onnx = exportOnnx(model.net, {
      preprocessor: data.onnxPreprocessor,
      inputShape: data.inputShape,
      name,
      classes: data.classes,
      weights: await readWeightValues(model.net),
    });
    const timings = {
      load_seconds: data.loadSeconds,
      preprocess_seconds: data.preprocessSeconds,
      train_seconds: fit.trainSeconds,
      samples_per_second: fit.samplesPerSecond,
      epochs_run: fit.history.length,
      best_epoch: fit.bestEpoch,
    };
    const registerMeta = {
      task: data.task,
      arch: config.model.arch,
      backend: backend.name,
      classes: data.classes,
      metrics: {
        ...(valReport ? flattenMetrics(valReport, { prefix: "val." }) : {}),
        ...(testReport ? flattenMetrics(testReport, { prefix: "test." }) : {}),
      },
      timings,
      data_fingerprint: data.fingerprint,
      input_shape: data.inputShape,
    };
    const version = await registry.register(
      name,
      registerMeta,
      async (dir) => {
        const folder = artifactFolder(dir, { label: `${name} (being published)` });
        await saveModel(model, dir);
        await writeRunInputs(folder, config, data);
        const metricsJson = {
          val: valReport,
          test: testReport,
          test_source: data.testSource,
          history: fit.history,
          engine: fit.engine,
          engine_reason: fit.engineReason,
          backend,
          timings,
          ...resume?.provenance,
        };
        await folder.write("metrics", metricsJson);
        await writeRunReport(folder, {
          meta: { name, ...registerMeta },
          metrics: metricsJson,
          config,
          data,
          probs: { val: valProbs, test: testProbs },
        });
        await Deno.writeFile(folder.path(ONNX_FILE), onnx);
        await copyIfExists(join(workDir, HISTORY_FILE), folder.path(HISTORY_FILE));
        await copyTree(join(workDir, CHECKPOINTS_DIR), folder.path(CHECKPOINTS_DIR));
      },
    );
    published = true;
    logger.info(`registered ${name}@${version.meta.version} in ${registry.location}`);
    return {
      name,
      version: version.meta.version,
      task: data.task,
      backend: backend.name,
      engine: fit.engine,
      metrics,
      epochs_run: fit.history.length,
      best_epoch: fit.bestEpoch,
      train_seconds: fit.trainSeconds,
      samples_per_second: fit.samplesPerSecond,
      artifact: version.dir,
    };
  } finally {
    model.net.dispose();
    await closeRunWorkDir(workDir, { published, logger });
  }
}

async function copyIfExists(from: string, to: string): Promise<void> {
  try {
    await Deno.copyFile(from, to);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Runs one training from an effective config. */
export async function runTraining(config: MmmlConfig, deps: TrainRunDeps): Promise<TrainRunResult> {
  const task = await detectTask(config);
  const isMlp = config.model.arch === "mlp";
  if (task === "tabular" && !isMlp) {
    throw new MmmlError("usage", `--model ${config.model.arch} is an image model; a CSV trains --model mlp`);
  }
  if (task === "image" && isMlp) {
    throw new MmmlError(
      "usage",
      `--data ${config.data.path} is an image folder: choose --model ${VISION_ARCH_NAMES.join("|")}`,
    );
  }
  const data = task === "tabular"
    ? tabularPrepared(await prepareTabularData(config, deps.logger))
    : await prepareImageData(config, deps.logger);
  return await trainPrepared(config, data, deps);
}
