/**
 * data_summary.json: rows and class counts of each split and the model's input shape, taken at train
 * time from the encoded labels, because the split itself (seeded, stratified) is not saved anywhere and
 * a report drawn later could not recount it. Works for any task whose splits can list their labels.
 */
import { DATA_SUMMARY_FORMAT, type DataSummary, type SplitSummary } from "../artifacts/data_summary_file.ts";

/** A split that can list the class index of each of its rows (DataSource has this shape). */
export interface LabelledSplit {
  labels(): ArrayLike<number>;
}

/** What buildDataSummary reads; PreparedData (pipeline/prepared_data.ts) has this shape. */
export interface SplitLabels {
  classes: readonly string[];
  inputShape: readonly number[];
  train: LabelledSplit;
  val?: LabelledSplit | null;
  test?: LabelledSplit | null;
  testSource?: string;
}

/** Counts rows and classes per split; throws RangeError when a label is not a class index. */
export function buildDataSummary(data: SplitLabels): DataSummary {
  const k = data.classes.length;
  const count = (y: ArrayLike<number>, split: string): SplitSummary => {
    // A regression has no classes to count, only rows.
    if (k === 0) return { rows: y.length, class_counts: [] };
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < y.length; i++) {
      const c = y[i];
      if (!Number.isInteger(c) || c < 0 || c >= k) {
        throw new RangeError(`${split} label ${i} must be a class index in [0, ${k}), received ${c}`);
      }
      counts[c]++;
    }
    return { rows: y.length, class_counts: counts };
  };
  return {
    format: DATA_SUMMARY_FORMAT,
    classes: [...data.classes],
    input_shape: [...data.inputShape],
    ...(data.testSource === undefined ? {} : { test_source: data.testSource }),
    splits: {
      train: count(data.train.labels(), "train"),
      ...(data.val ? { val: count(data.val.labels(), "val") } : {}),
      ...(data.test ? { test: count(data.test.labels(), "test") } : {}),
    },
  };
}
