/**
 * `mmml train --resume NAME@VER` and `--resume-dir DIR`: continue a run from its last checkpoint (weights,
 * optimizer slots, epochs done, early-stopping and checkpoint state; the seed fixes every later shuffle
 * and dropout mask) and register the result as a new version. The run's saved config, classes and
 * fitted preprocessing are reused as they were, never refitted, so the features are the ones the
 * checkpoint was trained on; only the epoch count, the name and the registry may change.
 */
import { join } from "node:path";
import { z } from "zod";
import { type ArtifactFolder, artifactFolder, versionFolder } from "../artifacts/artifact_folder.ts";
import type { RunInfo } from "../artifacts/run_info.ts";
import { BEST_CHECKPOINT, LAST_CHECKPOINT } from "../artifacts/version_files.ts";
import { MmmlConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Registry } from "../registry/registry_types.ts";
import { hasTrainerState, loadTrainerState, TRAINER_STATE_FILE } from "../training/trainer_state.ts";
import type { ResumeRequest } from "./resume_request.ts";
import { copyTree, createRunWorkDir, registryOfWorkDir, type ResumePoint } from "./work_dir.ts";
import type { TaskInputs } from "../tasks/task_inputs.ts";
import { taskRules } from "../tasks/tasks.ts";
import { trainPrepared, type TrainRunResult } from "./train.ts";

export interface ResumeDeps {
  logger: Logger;
  /** Whether stderr is a terminal (progress bar redraws). */
  isTerminal?: boolean;
  /** Opens a registry: a folder or postgres:// URL, or the default one when `location` is undefined. */
  openRegistry(location: string | undefined, artifacts?: string): Promise<Registry>;
}

/** Continues the requested run and registers it as a new version; see the module comment. */
export async function resumeTraining(request: ResumeRequest, deps: ResumeDeps): Promise<TrainRunResult> {
  if (request.dir !== undefined) {
    const dir = request.dir;
    const folder = artifactFolder(dir, { label: `work folder ${dir}` });
    const info = await folder.read("run");
    const saved = await readSavedRun(folder, info);
    const location = request.registry ?? registryOfWorkDir(dir) ?? saved.config.registry.path;
    const registry = await deps.openRegistry(location, request.artifacts ?? saved.config.registry.artifacts);
    return await continueRun(saved, request, registry, deps, {
      openWorkDir: () => Promise.resolve(dir),
      provenance: {
        resumed_from_dir: dir,
        ...(info.resumed_from ? { resumed_from: info.resumed_from } : {}),
      },
      resumedFrom: info.resumed_from,
    }).finally(() => registry.close());
  }
  if (request.ref === undefined) {
    throw new MmmlError("usage", "missing --resume NAME@VERSION or --resume-dir DIR");
  }
  const registry = await deps.openRegistry(request.registry, request.artifacts);
  try {
    const version = await registry.resolve(request.ref);
    const { meta } = version;
    const label = `${meta.name}@${meta.version}`;
    await registry.verify(version);
    const info: RunInfo = {
      name: meta.name,
      task: meta.task,
      data_fingerprint: meta.data_fingerprint,
      resumed_from: null,
      started: meta.created,
    };
    const saved = await readSavedRun(versionFolder(version), info);
    return await continueRun(saved, request, registry, deps, {
      openWorkDir: async () => {
        const workDir = await createRunWorkDir(registry, request.name ?? meta.name);
        // The best checkpoint so far stays the best one unless the resumed epochs beat it.
        await copyTree(join(version.dir, BEST_CHECKPOINT), join(workDir, BEST_CHECKPOINT));
        return workDir;
      },
      provenance: { resumed_from: label },
      resumedFrom: label,
    });
  } finally {
    await registry.close();
  }
}

interface SavedRun {
  label: string;
  info: RunInfo;
  config: MmmlConfig;
  classes: string[];
  /** What the run's task saved of its inputs (its fitted preprocessing). */
  inputs: TaskInputs;
  checkpoint: string;
}

/** Reads what a run saved (a version's artifacts or a work folder) and checks it has a resumable checkpoint. */
async function readSavedRun(folder: ArtifactFolder, info: RunInfo): Promise<SavedRun> {
  const { label } = folder;
  const checkpoint = folder.path(LAST_CHECKPOINT);
  if (!await hasTrainerState(checkpoint)) {
    throw new MmmlError(
      "unsupported",
      `Cannot resume ${label}: its resumable state (${join(checkpoint, TRAINER_STATE_FILE)}) was not kept. ` +
        `A published version keeps it when it is small or when the run was trained with --keep-checkpoints ` +
        `(training.checkpoint.keep: always), and only runs with checkpoints (training.checkpoint.enabled and ` +
        `save_last) that finished an epoch have one; a killed run continues from its work folder with ` +
        `--resume-dir`,
    );
  }
  const config = await folder.read("config");
  const classes = await folder.read("classes");
  const inputs = await taskRules(info.task, label).readInputs(folder);
  return { label, info, config, classes, inputs, checkpoint };
}

/** The saved config with the allowed changes, the saved data preprocessing, then the training itself. */
async function continueRun(
  saved: SavedRun,
  request: ResumeRequest,
  registry: Registry,
  deps: ResumeDeps,
  where: Omit<ResumePoint, "checkpoint" | "state">,
): Promise<TrainRunResult> {
  const { label, info, checkpoint } = saved;
  const { logger } = deps;
  const state = await loadTrainerState(checkpoint);
  const parsed = MmmlConfig.safeParse({
    ...saved.config,
    training: {
      ...saved.config.training,
      epochs: request.epochs ?? saved.config.training.epochs,
      progress: request.progress ?? saved.config.training.progress,
      checkpoint: {
        ...saved.config.training.checkpoint,
        ...(request.keepCheckpoints ? { keep: "always" } : {}),
      },
    },
    registry: {
      ...saved.config.registry,
      path: registry.location,
      name: request.name ?? info.name,
      artifacts: request.artifacts ?? saved.config.registry.artifacts,
    },
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MmmlError("usage", `${issue.path.join(".")}: ${issue.message}`);
  }
  const config = parsed.data;
  if (state.epoch >= config.training.epochs) {
    throw new MmmlError(
      "usage",
      `${label} has already run ${state.epoch} of ${config.training.epochs} epochs; pass --epochs N with N ` +
        `greater than ${state.epoch} to train it further, received ${
          request.epochs === undefined ? "no --epochs" : `--epochs ${request.epochs}`
        }`,
    );
  }
  const stopped = z.object({ stopped_epoch: z.number() }).safeParse(state.callbacks.early_stopping);
  if (stopped.success && stopped.data.stopped_epoch > 0) {
    logger.warn(
      `${label} was stopped by early stopping after epoch ${stopped.data.stopped_epoch}; resumed, it stops ` +
        `again after the next epoch unless ${config.training.early_stopping.monitor} improves`,
    );
  }
  const data = await taskRules(info.task, label).prepare(config, logger, {
    inputs: saved.inputs,
    classes: saved.classes,
  });
  if (data.fingerprint !== info.data_fingerprint) {
    throw new MmmlError(
      "invalid_input",
      `Cannot resume ${label}: the training data ${config.data.path} changed since that run (sha256 ` +
        `${data.fingerprint.slice(0, 12)}, the run recorded ${
          info.data_fingerprint.slice(0, 12)
        }); a resumed ` +
        `run must see the same rows: train a new model instead`,
    );
  }
  if (data.classes.join("\n") !== saved.classes.join("\n")) {
    throw new MmmlError(
      "schema_mismatch",
      `Cannot resume ${label}: expected the classes ${saved.classes.join(", ")}, the data has ${
        data.classes.join(", ")
      }`,
    );
  }
  logger.info(`resuming ${label} at epoch ${state.epoch + 1} of ${config.training.epochs}`);
  return await trainPrepared(config, data, { registry, logger, isTerminal: deps.isTerminal }, {
    ...where,
    checkpoint,
    state,
  });
}
