/**
 * config.json as a version or work folder holds it: the run's effective config, read back with the
 * migrations older runs need (each says what an absent setting meant when that run was made).
 */
import { z } from "zod";
import { MmmlConfig } from "../config/schema.ts";

/** A run saved before learning-rate schedules existed ran at a constant rate, and resumes at one. */
export const SavedConfig = z.preprocess((raw) => {
  const training = (raw as { training?: unknown } | null)?.training;
  if (training && typeof training === "object" && !("lr_schedule" in training)) {
    return { ...(raw as object), training: { ...training, lr_schedule: { name: "constant" } } };
  }
  return raw;
}, MmmlConfig);
