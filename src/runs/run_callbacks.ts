/**
 * The callbacks a training run's config asks for, in the order they must run: the progress bar, the
 * metrics log (history.jsonl), early stopping and plateau reduction (they update their state before the
 * checkpoint saves it, so a resumed run restores it), then the checkpoints.
 */
import { join } from "node:path";
import { CHECKPOINTS_DIR, HISTORY_FILE } from "../artifacts/version_files.ts";
import type { MmmlConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { Callback } from "../training/callbacks/callback.ts";
import { earlyStopping } from "../training/callbacks/early_stopping.ts";
import { metricsLogger } from "../training/callbacks/metrics_logger.ts";
import { modelCheckpoint } from "../training/callbacks/model_checkpoint.ts";
import { progressBar } from "../training/callbacks/progress.ts";
import { reduceLrOnPlateau } from "../training/callbacks/reduce_lr_on_plateau.ts";

/** The run's callbacks; checkpoints and the metrics log go under `workDir`. */
export function runCallbacks(
  config: MmmlConfig,
  workDir: string,
  deps: { logger: Logger; isTerminal?: boolean },
): Callback[] {
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
