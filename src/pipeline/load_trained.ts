/**
 * A registered tabular model ready to score CSV rows with TensorFlow.js: the version's tfjs model, its
 * fitted preprocessor, data schema and class names, with the backend it was trained on. What
 * `mmml evaluate` and `mmml predict` share, so both see the exact function training measured.
 */
import { z } from "zod";
import { DataSchema } from "../data/data_schema.ts";
import { BACKEND_NAMES, type BackendChoice, type BackendName, useBackend } from "../engine/backend.ts";
import { describeValue, MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { MmmlModel } from "../models/model.ts";
import { loadModel } from "../models/model_io.ts";
import { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import { loadJsonArtifact, verifyArtifacts } from "../registry/file_registry.ts";
import type { ModelVersion, Registry } from "../registry/registry_types.ts";

/** A loaded version; call `dispose()` when done to free the model's weights. */
export interface TrainedModel {
  version: ModelVersion;
  model: MmmlModel;
  preprocessor: PreprocessorState;
  schema: DataSchema;
  /** Class names; index i is model output i. */
  classes: string[];
  /** The CSV delimiter the version was trained with ("auto" unless the config fixed one). */
  delimiter: "auto" | "," | ";" | "\t";
  backend: BackendChoice;
  dispose(): void;
}

export interface LoadTrainedOptions {
  logger?: Logger;
  /** Overrides the backend recorded with the version. */
  backend?: BackendName;
  /** Re-hash every artifact against meta.json before loading (default true). */
  verify?: boolean;
}

const Classes = z.array(z.string()).min(2);
/** The few settings of the saved config.json that scoring needs; the rest is not re-validated here. */
const SavedConfig = z.looseObject({
  data: z.looseObject({ delimiter: z.enum(["auto", ",", ";", "\t"]).optional() }).optional(),
  training: z.looseObject({ backend: z.enum(BACKEND_NAMES).optional() }).optional(),
});

async function artifact<T>(version: ModelVersion, file: string, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(await loadJsonArtifact(version, file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MmmlError(
      "artifact_corrupt",
      `Artifact "${file}" of ${version.meta.name}@${version.meta.version} (${version.dir}) is invalid: ` +
        `${issue.path.join(".") || "(root)"}: ${issue.message}`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/**
 * Resolves `ref` (NAME, NAME@3, NAME@production, ...) in `registry` and loads it. Image versions are
 * refused with "unsupported"; a changed, missing or malformed artifact is "artifact_corrupt" naming it.
 */
export async function loadTrained(
  registry: Registry,
  ref: string,
  { logger, backend, verify = true }: LoadTrainedOptions = {},
): Promise<TrainedModel> {
  const version = await registry.resolve(ref);
  const { meta } = version;
  const label = `${meta.name}@${meta.version}`;
  if (meta.task !== "tabular") {
    throw new MmmlError(
      "unsupported",
      `${label} is a ${describeValue(meta.task)} model; this command scores CSV rows with tabular models`,
    );
  }
  if (verify) await verifyArtifacts(version);
  const [preprocessor, schema, classes, config] = await Promise.all([
    artifact(version, "preprocessor.json", PreprocessorState),
    artifact(version, "schema.json", DataSchema),
    artifact(version, "classes.json", Classes),
    artifact(version, "config.json", SavedConfig),
  ]);
  const recorded = (BACKEND_NAMES as readonly string[]).includes(meta.backend)
    ? meta.backend as BackendName
    : config.training?.backend;
  // The backend training measured with, so scores reproduce its numbers to the last float.
  const choice = await useBackend(backend ?? recorded ?? "wasm");
  const model = await loadModel(version.dir);
  if (model.spec.numClasses !== classes.length || model.spec.inputShape[0] !== preprocessor.featureCount) {
    model.net.dispose();
    throw new MmmlError(
      "artifact_corrupt",
      `${label} (${version.dir}): the model takes [${model.spec.inputShape}] and gives ${model.spec.numClasses} ` +
        `classes, but preprocessor.json makes ${preprocessor.featureCount} features and classes.json has ` +
        `${classes.length} classes`,
    );
  }
  logger?.info(`loaded ${label} from ${version.dir} (backend ${choice.name})`);
  let disposed = false;
  return {
    version,
    model,
    preprocessor,
    schema,
    classes,
    delimiter: config.data?.delimiter ?? "auto",
    backend: choice,
    dispose() {
      if (disposed) return;
      disposed = true;
      model.net.dispose();
    },
  };
}
