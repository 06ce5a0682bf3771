/**
 * Loads a registered version for scoring with TensorFlow.js (src/tasks/trained_model.ts): resolve the
 * reference, check every artifact's hash, read the classes and the task's inputs through the artifact
 * table, switch to the backend training measured with, and check the model takes what the inputs make.
 */
import { versionFolder } from "../artifacts/artifact_folder.ts";
import { useBackend } from "../backend/choose.ts";
import { BACKEND_NAMES, type BackendName } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Registry } from "../registry/registry_types.ts";
import { taskRules } from "../tasks/tasks.ts";
import type { TrainedModel } from "../tasks/trained_model.ts";

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
  const rules = taskRules(meta.task, label);
  if (verify) await registry.verify(version);
  const folder = versionFolder(version);
  const linear = rules.modelOutput === "linear";
  const [classes, config, inputs] = await Promise.all([
    linear ? [] : folder.read("classes"),
    folder.read("config"),
    rules.readInputs(folder),
  ]);
  const recorded = (BACKEND_NAMES as readonly string[]).includes(meta.backend)
    ? meta.backend as BackendName
    : config.training.backend;
  // The backend training measured with, so scores reproduce its numbers to the last float; where it cannot
  // load here (a model trained on native or webgpu, scored on another host), auto's choice, said once.
  let choice: Awaited<ReturnType<typeof useBackend>>;
  try {
    choice = await useBackend(backend ?? recorded ?? "wasm");
  } catch (err) {
    if (backend !== undefined || !(err instanceof MmmlError) || err.code !== "backend_unavailable") throw err;
    choice = await useBackend("auto");
    logger?.warn(
      `${label} was trained on ${recorded}, which cannot run here (${
        err.message.split(". To install")[0]
      }); ` +
        `scoring on ${choice.name}: figures may differ from training's in the last digits`,
    );
  }
  const model = await folder.readModel();
  const takes = rules.inputShape(inputs);
  const outputs = linear ? 1 : classes.length;
  if (model.spec.numClasses !== outputs || model.spec.inputShape.join() !== takes.shape.join()) {
    model.net.dispose();
    throw new MmmlError(
      "artifact_corrupt",
      `${label} (${version.dir}): the model takes [${model.spec.inputShape}] and gives ${model.spec.numClasses} ` +
        `outputs, but ${takes.says} and ${
          linear ? "a regression has 1" : `classes.json has ${classes.length}`
        }`,
    );
  }
  logger?.info(`loaded ${label} from ${version.dir} (backend ${choice.name})`);
  let disposed = false;
  return {
    ...inputs,
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
