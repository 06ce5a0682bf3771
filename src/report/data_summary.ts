/**
 * data_summary.json: rows and class counts of each split and the model's input shape, taken at train
 * time from the encoded labels, because the split itself (seeded, stratified) is not saved anywhere and
 * a report drawn later could not recount it. Works for any task whose splits can list their labels.
 */
import { z } from "zod";
import { parseArtifact } from "./parse_artifact.ts";

/** File name of the artifact in a version folder. */
export const DATA_SUMMARY_FILE = "data_summary.json";

/** The file's format tag; a reader refuses any other. */
export const DATA_SUMMARY_FORMAT = "mmml.data_summary/1";

/** One split: its rows and the rows of each class, in class order. */
export const SplitSummary = z.object({
  rows: z.number().int().nonnegative(),
  class_counts: z.array(z.number().int().nonnegative()),
});
export type SplitSummary = z.infer<typeof SplitSummary>;

// Plain z.object: machine-written, and later versions may add fields an older reader should ignore.
/** The whole data_summary.json. */
export const DataSummary = z.object({
  format: z.literal(DATA_SUMMARY_FORMAT),
  classes: z.array(z.string()).min(1),
  /** Model input shape without the batch dimension, after preprocessing (one-hot columns counted). */
  input_shape: z.array(z.number().int().nonnegative()),
  /** "split", or the --test file the test rows came from. */
  test_source: z.string().optional(),
  splits: z.object({
    train: SplitSummary,
    val: SplitSummary.optional(),
    test: SplitSummary.optional(),
  }),
}).refine(
  (d) => Object.values(d.splits).every((s) => !s || s.class_counts.length === d.classes.length),
  { message: "every split must count each class once" },
);
export type DataSummary = z.infer<typeof DataSummary>;

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

/** Checks parsed JSON against DataSummary; `where` names the file for the error message. */
export function parseDataSummary(value: unknown, where = DATA_SUMMARY_FILE): DataSummary {
  return parseArtifact(DataSummary, value, where);
}
