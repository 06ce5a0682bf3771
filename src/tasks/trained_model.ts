/**
 * A registered model ready to score with TensorFlow.js: the version's tfjs model and class names, with
 * the backend it was trained on, plus what its task saved of its inputs (task_inputs.ts). What `mmml
 * evaluate` and `mmml predict` share, so both see the exact function training measured; loaded by
 * src/runs/load_trained.ts.
 */
import type { BackendChoice } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import type { MmmlModel } from "../models/model.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import type { ImageInputs, TabularInputs } from "./task_inputs.ts";

/** What every loaded version has; call `dispose()` when done to free the model's weights. */
export interface TrainedBase {
  version: ModelVersion;
  model: MmmlModel;
  /** Class names; index i is model output i. */
  classes: string[];
  backend: BackendChoice;
  dispose(): void;
}

/** A tabular version: CSV rows go through its schema and fitted preprocessor. */
export type TrainedTabular = TrainedBase & TabularInputs;

/** An image version: files are decoded, resized and normalised as image_preprocessing.json says. */
export type TrainedImage = TrainedBase & ImageInputs;

/** A loaded version of either task. */
export type TrainedModel = TrainedTabular | TrainedImage;

/** Narrows to a tabular version, or fails naming the model and what `what` needs. */
export function requireTabular(trained: TrainedModel, what: string): TrainedTabular {
  if (trained.task === "tabular" || trained.task === "regression") return trained;
  const { name, version } = trained.version.meta;
  throw new MmmlError("unsupported", `${name}@${version} is an image model; ${what} needs a tabular model`);
}

/** Narrows to an image version, or fails naming the model and what `what` needs. */
export function requireImage(trained: TrainedModel, what: string): TrainedImage {
  if (trained.task === "image") return trained;
  const { name, version } = trained.version.meta;
  throw new MmmlError("unsupported", `${name}@${version} is a tabular model; ${what} needs an image model`);
}
