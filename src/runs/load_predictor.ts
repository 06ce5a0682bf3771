/**
 * A registered version loaded for serving: its classes and its task's input encoder read through the
 * artifact table, and model.onnx opened on ONNX Runtime (src/inference/predictor.ts). An older version
 * without model.onnx is exported on load when the caller passes an exporter, else refused naming the fix.
 */
import { versionFolder } from "../artifacts/artifact_folder.ts";
import { ONNX_FILE } from "../artifacts/version_files.ts";
import { MmmlError } from "../errors.ts";
import { openPredictor, type SessionOptions } from "../inference/predictor.ts";
import type { Predictor } from "../inference/predictor_types.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { taskRules } from "../tasks/tasks.ts";

export interface LoadPredictorOptions extends SessionOptions {
  /** Produces model.onnx's bytes when a version has none (older versions), e.g. exportVersion. */
  exportMissing?: (version: ModelVersion) => Promise<Uint8Array>;
}

/** Loads `version` into a predictor; artifact problems are `artifact_corrupt` errors naming the file. */
export async function loadPredictor(
  version: ModelVersion,
  { exportMissing, ...session }: LoadPredictorOptions = {},
): Promise<Predictor> {
  const started = performance.now();
  const { meta } = version;
  const ref = `${meta.name}@${meta.version}`;
  const rules = taskRules(meta.task, ref);
  const folder = versionFolder(version);
  const classes = rules.modelOutput === "linear" ? [] : await folder.read("classes");
  const input = rules.servingInput(await rules.readInputs(folder), folder);
  const onnxPath = folder.path(ONNX_FILE);
  let onnx: string | Uint8Array = onnxPath;
  if (!(await folder.has(ONNX_FILE))) {
    if (!exportMissing) {
      throw new MmmlError(
        "artifact_corrupt",
        `${onnxPath} is missing; export it with \`mmml export --model ${ref} --format onnx\``,
      );
    }
    session.logger?.info("model.onnx missing; exporting from the tfjs model", { model: ref });
    onnx = await exportMissing(version);
  }
  const predictor = await openPredictor(
    { version, classes, input, onnx, onnxName: onnxPath, started },
    session,
  );
  session.logger?.info("model loaded", {
    model: ref,
    provider: predictor.provider,
    load_seconds: Number(predictor.loadSeconds.toFixed(3)),
  });
  return predictor;
}
