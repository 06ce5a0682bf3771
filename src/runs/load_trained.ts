/**
 * A registered model ready to score with TensorFlow.js: the version's tfjs model and class names, with
 * the backend it was trained on, plus the fitted preprocessor and data schema of a tabular model or the
 * image preprocessing of an image model. What `mmml evaluate` and `mmml predict` share, so both see
 * the exact function training measured.
 */
import { versionFolder } from "../artifacts/artifact_folder.ts";
import type { DataSchema } from "../data/data_schema.ts";
import { type BackendChoice, useBackend } from "../backend/choose.ts";
import { BACKEND_NAMES, type BackendName } from "../config/schema.ts";
import { describeValue, MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { MmmlModel } from "../models/model.ts";
import type { ImagePreprocessing } from "../preprocess/image_preprocessing.ts";
import type { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import type { ModelVersion, Registry } from "../registry/registry_types.ts";

/** What every loaded version has; call `dispose()` when done to free the model's weights. */
interface TrainedBase {
  version: ModelVersion;
  model: MmmlModel;
  /** Class names; index i is model output i. */
  classes: string[];
  backend: BackendChoice;
  dispose(): void;
}

/** A tabular version: CSV rows go through its schema and fitted preprocessor. */
export interface TrainedTabular extends TrainedBase {
  task: "tabular";
  preprocessor: PreprocessorState;
  schema: DataSchema;
  /** The CSV delimiter the version was trained with ("auto" unless the config fixed one). */
  delimiter: "auto" | "," | ";" | "\t";
}

/** An image version: files are decoded, resized and normalised as image_preprocessing.json says. */
export interface TrainedImage extends TrainedBase {
  task: "image";
  image: ImagePreprocessing;
}

/** A loaded version of either task. */
export type TrainedModel = TrainedTabular | TrainedImage;

export interface LoadTrainedOptions {
  logger?: Logger;
  /** Overrides the backend recorded with the version. */
  backend?: BackendName;
  /** Re-hash every artifact against meta.json before loading (default true). */
  verify?: boolean;
}

/**
 * Resolves `ref` (NAME, NAME@3, NAME@production, ...) in `registry` and loads it, tabular or image; a
 * changed, missing or malformed artifact is "artifact_corrupt" naming it.
 */
export async function loadTrained(
  registry: Registry,
  ref: string,
  { logger, backend, verify = true }: LoadTrainedOptions = {},
): Promise<TrainedModel> {
  const version = await registry.resolve(ref);
  const { meta } = version;
  const label = `${meta.name}@${meta.version}`;
  if (meta.task !== "tabular" && meta.task !== "image") {
    throw new MmmlError(
      "unsupported",
      `${label} is a ${describeValue(meta.task)} model, which mmml cannot score`,
    );
  }
  if (verify) await registry.verify(version);
  const folder = versionFolder(version);
  const [classes, config] = await Promise.all([folder.read("classes"), folder.read("config")]);
  const task = meta.task === "tabular"
    ? {
      task: "tabular" as const,
      preprocessor: await folder.read("preprocessor"),
      schema: await folder.read("schema"),
      delimiter: config.data.delimiter,
    }
    : {
      task: "image" as const,
      image: await folder.read("image_preprocessing"),
    };
  const recorded = (BACKEND_NAMES as readonly string[]).includes(meta.backend)
    ? meta.backend as BackendName
    : config.training.backend;
  // The backend training measured with, so scores reproduce its numbers to the last float.
  const choice = await useBackend(backend ?? recorded ?? "wasm");
  const model = await folder.readModel();
  const [takes, artifactSays] = task.task === "tabular"
    ? [[task.preprocessor.featureCount], `preprocessor.json makes ${task.preprocessor.featureCount} features`]
    : [
      [task.image.size, task.image.size, task.image.channels],
      `image_preprocessing.json makes ${task.image.size}x${task.image.size}x${task.image.channels} images`,
    ];
  if (model.spec.numClasses !== classes.length || model.spec.inputShape.join() !== takes.join()) {
    model.net.dispose();
    throw new MmmlError(
      "artifact_corrupt",
      `${label} (${version.dir}): the model takes [${model.spec.inputShape}] and gives ${model.spec.numClasses} ` +
        `classes, but ${artifactSays} and classes.json has ${classes.length} classes`,
    );
  }
  logger?.info(`loaded ${label} from ${version.dir} (backend ${choice.name})`);
  let disposed = false;
  return {
    ...task,
    version,
    model,
    classes,
    backend: choice,
    dispose() {
      if (disposed) return;
      disposed = true;
      model.net.dispose();
    },
  };
}

/** Narrows to a tabular version, or fails naming the model and what `what` needs. */
export function requireTabular(trained: TrainedModel, what: string): TrainedTabular {
  if (trained.task === "tabular") return trained;
  const { name, version } = trained.version.meta;
  throw new MmmlError("unsupported", `${name}@${version} is an image model; ${what} needs a tabular model`);
}

/** Narrows to an image version, or fails naming the model and what `what` needs. */
export function requireImage(trained: TrainedModel, what: string): TrainedImage {
  if (trained.task === "image") return trained;
  const { name, version } = trained.version.meta;
  throw new MmmlError("unsupported", `${name}@${version} is a tabular model; ${what} needs an image model`);
}
