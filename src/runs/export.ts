/**
 * Exports a registry version's saved tfjs model (model/) to ONNX, folding in what its task puts in the
 * graph (the numeric steps of a tabular model's preprocessor.json): what `mmml export`, the end of training and a predictor meeting an older version
 * without model.onnx all call.
 */
import { versionFolder } from "../artifacts/artifact_folder.ts";
import { taskRules } from "../tasks/tasks.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { exportOnnx } from "../export/onnx_exporter.ts";
import { readWeightValues } from "../export/onnx_layer_call.ts";

/** Reads `version.dir`'s model (and preprocessor for tabular tasks) and returns the ONNX file's bytes. */
export async function exportVersion(version: ModelVersion, { opset = 17 } = {}): Promise<Uint8Array> {
  const { meta } = version;
  const folder = versionFolder(version);
  const rules = taskRules(meta.task, `${meta.name}@${meta.version}`);
  const preprocessor = rules.onnxPreprocessor(await rules.readInputs(folder));
  const model = await folder.readModel();
  try {
    return exportOnnx(model.net, {
      preprocessor,
      inputShape: model.spec.inputShape,
      opset,
      name: meta.name,
      classes: meta.classes,
      weights: await readWeightValues(model.net),
    });
  } finally {
    model.net.dispose();
  }
}
