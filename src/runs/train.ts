/**
 * One training run, end to end: data (the task's rules) -> model -> Trainer with callbacks -> metrics ->
 * ONNX export -> a new registry version. The run works in a folder kept in the registry (work_dir.ts), so
 * a killed run can be resumed, and only publishes (atomically, publish_version.ts) when everything
 * succeeded, so a failed run leaves the registry as it was.
 */
import { basename, join } from "node:path";
import { useBackend } from "../backend/choose.ts";
import { withTaskDefaults } from "../config/task_defaults.ts";
import type { MmmlConfig, Task } from "../config/schema.ts";
import type { DataSource } from "../data/data_source.ts";
import { exportOnnx } from "../export/onnx_exporter.ts";
import { readWeightValues } from "../export/onnx_layer_call.ts";
import type { Logger } from "../log.ts";
import { buildModel } from "../models/architectures.ts";
import type { MmmlModel } from "../models/model.ts";
import { loadModel } from "../models/model_io.ts";
import { loadPretrained, pretrainedSkips } from "../models/pretrained.ts";
import type { ModelMeta, Registry } from "../registry/registry_types.ts";
import { MAX_NAME_LENGTH, validateModelName } from "../registry/model_ref.ts";
import { holdOwnerLock } from "../registry/folder_owner.ts";
import { checkPretrainedFile } from "../models/pretrained.ts";
import type { HubOptions } from "../hub/hf_hub.ts";
import { pretrainedPath as resolvePretrained } from "../hub/pretrained_ref.ts";
import { predictSource, type PreparedData } from "../tasks/prepared_data.ts";
import { detectTask, TASKS } from "../tasks/tasks.ts";
import { classWeights } from "../training/class_weights.ts";
import { resolveLrSchedule } from "../training/lr_schedule.ts";
import { fineTunePlan, fitModel } from "./fit_phases.ts";
import { keepCheckpoints, publishVersion } from "./publish_version.ts";
import { adviceAfterFit, adviceBeforeFit } from "./training_advice.ts";
import {
  closeRunWorkDir,
  createRunWorkDir,
  type ResumePoint,
  WORK_OWNER_FILE,
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
  /**
   * The config keys the user set (LoadedConfig.explicit); the task's defaults fill the others. Absent
   * (a resumed run, whose saved config is complete), nothing is filled.
   */
  explicit?: ReadonlySet<string>;
  /** The Hugging Face hub client's settings, for `--pretrained imagenet` and `hf:ORG/REPO`. */
  hub?: HubOptions;
  /** The local file of model.pretrained (resolved by runTraining). */
  pretrainedPath?: string;
  /** A sweep trial's publish: one version per key however often it runs, carrying the trial. */
  publish?: { key: string; sweep: NonNullable<ModelMeta["sweep"]> };
}

/** The model name: --name, else the data file's or folder's base name. */
export function modelName(config: MmmlConfig): string {
  if (config.registry.name) return config.registry.name;
  const base = basename((config.data.path ?? "model").replace(/[\\/]+$/, "")).replace(/\.[^.]*$/, "");
  const cleaned = base.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^[^A-Za-z0-9]+/, "");
  return cleaned.slice(0, MAX_NAME_LENGTH) || "model";
}

/** A fresh model of the config's architecture (with its pretrained weights), or the checkpoint's. */
async function startingModel(
  config: MmmlConfig,
  data: PreparedData,
  logger: Logger,
  resume?: ResumePoint,
  pretrainedPath?: string,
) {
  if (resume) return await loadModel(resume.checkpoint);
  const output = TASKS[data.task].modelOutput;
  const model = buildModel(config.model, {
    inputShape: data.inputShape,
    numClasses: output === "linear" ? 1 : data.classes.length,
    output,
    seed: config.training.seed,
  });
  if (config.model.arch === "mlp") return model;
  try {
    if (config.model.pretrained) {
      const loaded = await loadPretrained(model, pretrainedPath ?? config.model.pretrained, {
        skipLayers: pretrainedSkips(config.model, config.data.image.channels),
      });
      logger.info(`pretrained: ${loaded.loaded} weights from ${config.model.pretrained}`, {
        skipped: loaded.skippedLayers,
      });
    }
  } catch (err) {
    model.net.dispose();
    throw err;
  }
  if (config.model.freeze_backbone) model.freeze();
  return model;
}

/** Validation and test reports of the trained model (null for a split the data has not). */
async function evaluateSplits(model: MmmlModel, data: PreparedData) {
  const rules = TASKS[data.task];
  const probs = {
    val: data.val ? await predictSource(model, data.val) : null,
    test: data.test ? await predictSource(model, data.test) : null,
  };
  const report = (part: DataSource | null, p: Float32Array | null) =>
    part && p ? rules.report(p, part, data) : null;
  return { probs, val: report(data.val, probs.val), test: report(data.test, probs.test) };
}

/**
 * Trains, evaluates, exports and registers a model on prepared data of either task; with `resume`, it
 * continues from that checkpoint instead of a fresh model (see resume.ts).
 */
export async function trainPrepared(
  config: MmmlConfig,
  data: PreparedData,
  deps: TrainRunDeps,
  resume?: ResumePoint,
): Promise<TrainRunResult> {
  const { logger, registry } = deps;
  const rules = TASKS[data.task];
  if (deps.explicit && !resume) config = withTaskDefaults(config, rules.defaults, deps.explicit);
  // Resolved before anything is saved, so the run's config.json says which schedule and decay ran.
  const schedule = resolveLrSchedule(config.training.lr_schedule, rules.autoLrSchedule);
  const decay = config.training.weight_decay;
  const weightDecay = decay === "auto" ? rules.autoWeightDecay(data.train.size) : decay;
  config = { ...config, training: { ...config.training, lr_schedule: schedule, weight_decay: weightDecay } };
  const name = modelName(config);
  const backend = await useBackend(config.training.backend, { threads: config.training.threads, logger });
  logger.info(`backend: ${backend.name} (${backend.reason})`);
  const model = await startingModel(config, data, logger, resume, deps.pretrainedPath);
  const workDir = resume ? await resume.openWorkDir() : await createRunWorkDir(registry, name);
  // Held while this process trains: `registry clean` and doctor tell a live run from a dead one by it.
  const owner = await holdOwnerLock(join(workDir, WORK_OWNER_FILE));
  let published = false;
  try {
    logger.info(`work folder: ${workDir} (if this run dies, continue it with --resume-dir ${workDir})`);
    await writeWorkInputs(workDir, { config, data, name, resumedFrom: resume?.resumedFrom ?? null });
    const k = data.classes.length;
    for (const advice of adviceBeforeFit(config, data)) logger.warn(advice);
    logger.info(
      `model: ${config.model.arch}, ${model.paramCount()} parameters (${model.trainableParamCount()} trainable)`,
    );
    const fit = await fitModel(model, {
      config,
      data,
      workDir,
      logger,
      deps,
      resume: resume?.state,
      options: {
        batchSize: config.training.batch_size,
        lrSchedule: config.training.lr_schedule,
        objective: rules.objective(config),
        weightDecay,
        classWeights: k > 0
          ? classWeights(data.train.labels(), k, config.training.class_weights, data.classes)
          : null,
        shuffle: config.training.shuffle,
        backend: backend.name,
        monitor: data.val ? config.training.early_stopping.monitor : "loss",
        mode: config.training.early_stopping.mode,
        valMetrics: rules.valMetrics(data),
      },
    });
    logger.info(
      `trained ${fit.history.length} epoch(s) with the ${fit.engine} engine in ${
        fit.trainSeconds.toFixed(2)
      } s ` +
        `(${Math.round(fit.samplesPerSecond)} samples/s)${fit.stopReason ? `; ${fit.stopReason}` : ""}`,
    );
    const scores = await evaluateSplits(model, data);
    const after = {
      epochsRun: fit.history.length,
      stopReason: fit.stopReason,
      image: config.model.arch !== "mlp",
    };
    for (const advice of adviceAfterFit(scores.val, after)) logger.warn(advice);
    const timings = {
      load_seconds: data.loadSeconds,
      preprocess_seconds: data.preprocessSeconds,
      train_seconds: fit.trainSeconds,
      samples_per_second: fit.samplesPerSecond,
      epochs_run: fit.history.length,
      best_epoch: fit.bestEpoch,
    };
    const kept = await keepCheckpoints(config.training.checkpoint.keep, workDir);
    if (kept.note) logger.info(kept.note);
    const version = await publishVersion(registry, {
      name,
      keepCheckpoints: kept.keep,
      config,
      data,
      model,
      workDir,
      probs: scores.probs,
      meta: {
        task: data.task,
        arch: config.model.arch,
        backend: backend.name,
        classes: data.classes,
        metrics: {
          ...(scores.val ? rules.flatten(scores.val, "val.") : {}),
          ...(scores.test ? rules.flatten(scores.test, "test.") : {}),
        },
        timings,
        data_fingerprint: data.fingerprint,
        input_shape: data.inputShape,
        ...(deps.publish ? { sweep: deps.publish.sweep } : {}),
      },
      publishKey: deps.publish?.key,
      metrics: {
        val: scores.val,
        test: scores.test,
        test_source: data.testSource,
        history: fit.history,
        engine: fit.engine,
        engine_reason: fit.engineReason,
        backend,
        timings,
        ...resume?.provenance,
      },
      onnx: exportOnnx(model.net, {
        preprocessor: data.onnxPreprocessor,
        inputShape: data.inputShape,
        name,
        classes: data.classes,
        weights: await readWeightValues(model.net),
      }),
    });
    published = true;
    logger.info(`registered ${name}@${version.meta.version} in ${registry.location}`);
    return {
      name,
      version: version.meta.version,
      task: data.task,
      backend: backend.name,
      engine: fit.engine,
      metrics: { val: rules.scalars(scores.val), test: rules.scalars(scores.test) },
      epochs_run: fit.history.length,
      best_epoch: fit.bestEpoch,
      train_seconds: fit.trainSeconds,
      samples_per_second: fit.samplesPerSecond,
      artifact: version.dir,
    };
  } finally {
    model.net.dispose();
    await owner.release();
    await closeRunWorkDir(workDir, { published, logger });
  }
}

/** Runs one training from an effective config: the task's rules check the model and prepare the data. */
export async function runTraining(config: MmmlConfig, deps: TrainRunDeps): Promise<TrainRunResult> {
  // Everything the config implies is checked before any data is read or anything written.
  validateModelName(modelName(config));
  fineTunePlan(config);
  const pretrained = "pretrained" in config.model ? config.model.pretrained : undefined;
  let pretrainedPath: string | undefined;
  if (pretrained) {
    // imagenet and hf:ORG/REPO are fetched (or found in the hub cache) here, before any data is read.
    pretrainedPath = await resolvePretrained(pretrained, config.model.arch, deps.hub);
    await checkPretrainedFile(pretrainedPath);
  }
  const task = await detectTask(config);
  task.checkModel(config);
  return await trainPrepared(config, await task.prepare(config, deps.logger), { ...deps, pretrainedPath });
}
