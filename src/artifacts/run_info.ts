/** run.json, beside a run's inputs in its work folder: who the run is and what data it started on. */
import { z } from "zod";
import { TaskName } from "../config/schema.ts";

/** run.json: what a resumed run must know that the config does not say. */
export const RunInfo = z.strictObject({
  name: z.string(),
  task: TaskName,
  /** sha256 of the training data when the run started; a resumed run must see the same data. */
  data_fingerprint: z.string(),
  /** The version this run continued ("NAME@VER"), or null for a fresh run. */
  resumed_from: z.string().nullable(),
  started: z.string(),
});
export type RunInfo = z.infer<typeof RunInfo>;
