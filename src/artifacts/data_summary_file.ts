/**
 * data_summary.json: rows and class counts of each split and the model's input shape, taken at train
 * time (src/report/data_summary.ts builds it), because the seeded split itself is not saved.
 */
import { z } from "zod";
import { parseArtifact } from "./parse_artifact.ts";

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
  /** Class names; none for a regression. */
  classes: z.array(z.string()),
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

/** Checks parsed JSON against DataSummary; `where` names the file for the error message. */
export function parseDataSummary(value: unknown, where = "data_summary.json"): DataSummary {
  return parseArtifact(DataSummary, value, where);
}
