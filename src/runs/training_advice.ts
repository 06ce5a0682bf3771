/**
 * Warnings with the fix, where a new user is likely to be stuck without knowing it: an image size the
 * ImageNet stem shrinks to almost nothing, epochs of one or two optimizer steps, and a run that ended
 * (by early stopping or its epoch count) without learning anything. Each is one line saying what was
 * seen and what to change; none stops the run.
 */
import type { MmmlConfig } from "../config/schema.ts";
import type { ClassificationReport } from "../evaluation/metrics.ts";
import type { RegressionReport } from "../evaluation/regression_metrics.ts";
import type { PreparedData } from "../tasks/prepared_data.ts";

/** Below this, the ImageNet stem (7x7/2 conv, 3x3/2 max pool) leaves the first block maps of 16 px or less. */
export const SMALL_IMAGE_PX = 64;

/** What to say before training starts. */
export function adviceBeforeFit(config: MmmlConfig, data: PreparedData): string[] {
  const out: string[] = [];
  const model = config.model;
  if (model.arch !== "mlp" && model.stem === "imagenet") {
    const size = data.inputShape[0];
    if (size < SMALL_IMAGE_PX) {
      out.push(
        `${size} px images with the ImageNet stem (7x7/2 conv and a max pool) reach the first block at ` +
          `${Math.ceil(size / 4)}x${Math.ceil(size / 4)} and the last at ${
            Math.max(1, Math.ceil(size / 32))
          }` +
          `x${
            Math.max(1, Math.ceil(size / 32))
          }; for images under ${SMALL_IMAGE_PX} px the small stem usually ` +
          `learns far better: --set model.stem=small`,
      );
    }
  }
  const rows = data.train.size, batch = config.training.batch_size;
  const steps = Math.ceil(rows / batch);
  if (steps <= 2) {
    const suggest = Math.max(1, 2 ** Math.floor(Math.log2(Math.max(1, rows / 8))));
    out.push(
      `${rows} training ${data.task === "image" ? "images" : "rows"} at batch size ${batch} make ${steps} ` +
        `optimizer step(s) an epoch, so the model moves ${
          steps * config.training.epochs
        } times in the whole ` +
        `run; a smaller batch gives it more updates: --batch-size ${suggest}`,
    );
  }
  return out;
}

/**
 * What to say when the validation figures show nothing was learned: accuracy no better than always
 * predicting the most common class of the validation split.
 */
export function adviceAfterFit(
  val: ClassificationReport | RegressionReport | null,
  { epochsRun, stopReason, image }: { epochsRun: number; stopReason: string | null; image: boolean },
): string[] {
  if (!val) return [];
  const how = stopReason?.startsWith("early stopping")
    ? `early stopping ended the run after ${epochsRun} epoch(s)`
    : `after ${epochsRun} epoch(s)`;
  if ("rmse" in val) {
    if (val.r2 > 0) return [];
    return [
      `the model has not learned: ${how}, validation R² is ${val.r2.toFixed(3)}, no better than predicting ` +
      `the mean; try more --epochs (or a larger training.early_stopping.patience), another --lr, or a smaller ` +
      `--batch-size`,
    ];
  }
  const support = Object.values(val.per_class).map((c) => c.support);
  const total = support.reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  const majority = Math.max(...support) / total;
  if (val.accuracy > majority + 1e-9) return [];
  const fixes = [
    "more --epochs (or a larger training.early_stopping.patience)",
    "another --lr",
    "a smaller --batch-size",
    ...(image ? [`for images under ${SMALL_IMAGE_PX} px, --set model.stem=small`] : []),
  ];
  return [
    `the model has not learned: ${how}, validation accuracy ${val.accuracy.toFixed(3)} is no better than ` +
    `always predicting the most common class (${majority.toFixed(3)}); try ${fixes.join(", ")}`,
  ];
}
