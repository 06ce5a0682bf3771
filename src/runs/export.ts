/**
 * Exports a registry version's saved tfjs model (model/) to ONNX, folding in its preprocessor.json for
 * tabular models: what `mmml export`, the end of training and a predictor meeting an older version
 * without model.onnx all call.
 */
import { join } from "node:path";
import { MmmlError } from "../errors.ts";
import { loadModel } from "../models/model_io.ts";
import { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { exportOnnx } from "../export/onnx_exporter.ts";
import { readWeightValues } from "../export/onnx_layer_call.ts";

/** Reads `version.dir`'s model (and preprocessor for tabular tasks) and returns the ONNX file's bytes. */
export async function exportVersion(version: ModelVersion, { opset = 17 } = {}): Promise<Uint8Array> {
  const { meta, dir } = version;
  const preprocessor = meta.task === "tabular"
    ? await readPreprocessor(join(dir, "preprocessor.json"))
    : undefined;
  const model = await loadModel(dir);
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

async function readPreprocessor(path: string): Promise<PreprocessorState> {
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound
      ? "is missing"
      : `cannot be read: ${(err as Error).message}`;
    throw new MmmlError("artifact_corrupt", `${path} ${why}`, { cause: err });
  }
  const parsed = PreprocessorState.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MmmlError("artifact_corrupt", `${path}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data;
}
