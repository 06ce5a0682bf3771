/**
 * A registry version as an entry of a Triton model repository, which Triton (and KServe's Triton
 * runtime) serves over Open Inference Protocol v2 unchanged:
 *
 *   OUT/<name>/config.pbtxt          inputs, outputs, batching (src/export/triton_config.ts)
 *   OUT/<name>/labels.txt            a classifier's classes, one a line, in output order
 *   OUT/<name>/<version>/model.onnx  the ONNX model mmml serve loads (preprocessing inside)
 *
 * Other versions already in OUT/<name>/ stay. Everything is written beside its place first and renamed
 * in, so a failed export leaves the repository as it was.
 */
import { join } from "node:path";
import { versionFolder } from "../artifacts/artifact_folder.ts";
import { ONNX_FILE } from "../artifacts/version_files.ts";
import { writeFileChecked } from "../disk_space.ts";
import { exists } from "../files.ts";
import { batchable, tritonConfigText, type TritonTensor } from "../export/triton_config.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { loadPredictor } from "./load_predictor.ts";
import { VERSION } from "../version.ts";

export const LABELS_FILE = "labels.txt";

export interface TritonExport {
  /** OUT/<name> */
  modelDir: string;
  files: string[];
  maxBatchSize: number;
  bytes: number;
}

/** Writes `version` into the Triton repository at `out`; `exportOnnx` makes model.onnx for old versions. */
export async function exportTriton(
  version: ModelVersion,
  out: string,
  { maxBatchSize, exportOnnx }: {
    maxBatchSize: number;
    exportOnnx: (version: ModelVersion) => Promise<Uint8Array>;
  },
): Promise<TritonExport> {
  const { meta } = version;
  const folder = versionFolder(version);
  const onnx = (await folder.has(ONNX_FILE))
    ? await Deno.readFile(folder.path(ONNX_FILE))
    : await exportOnnx(version);
  const predictor = await loadPredictor(version, {
    providers: ["cpu"],
    exportMissing: () => Promise.resolve(onnx),
  });
  let inputs: TritonTensor[], outputs: TritonTensor[], classes: string[];
  try {
    inputs = predictor.inputs() as TritonTensor[];
    outputs = predictor.outputs() as TritonTensor[];
    classes = meta.classes ?? [];
  } finally {
    await predictor.close();
  }
  const labelled = classes.length > 0 && outputs.length === 1;
  const config = tritonConfigText({
    name: meta.name,
    inputs,
    outputs,
    maxBatchSize,
    labelFiles: labelled ? { [outputs[0].name]: LABELS_FILE } : undefined,
    comment: `written by mmml ${VERSION} (mmml export --format triton) from ${meta.name}@${meta.version}, ` +
      `task ${meta.task}`,
  });

  await Deno.mkdir(out, { recursive: true });
  const modelDir = join(out, meta.name);
  const staging = join(out, `.${meta.name}.tmp-${crypto.randomUUID()}`);
  try {
    await Deno.mkdir(join(staging, String(meta.version)), { recursive: true });
    await writeFileChecked(join(staging, String(meta.version), "model.onnx"), onnx);
    await writeFileChecked(join(staging, "config.pbtxt"), config);
    if (labelled) await writeFileChecked(join(staging, LABELS_FILE), classes.join("\n") + "\n");
    if (!(await exists(modelDir))) {
      await Deno.rename(staging, modelDir);
    } else {
      // Another version is there already: swap in this version's folder, then the shared files.
      const target = join(modelDir, String(meta.version));
      if (await exists(target)) {
        const old = join(modelDir, `.${meta.version}.old-${crypto.randomUUID()}`);
        await Deno.rename(target, old);
        await Deno.rename(join(staging, String(meta.version)), target);
        await Deno.remove(old, { recursive: true });
      } else {
        await Deno.rename(join(staging, String(meta.version)), target);
      }
      for (const file of ["config.pbtxt", ...(labelled ? [LABELS_FILE] : [])]) {
        await Deno.rename(join(staging, file), join(modelDir, file));
      }
      await Deno.remove(staging, { recursive: true });
    }
  } catch (err) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw err;
  }
  const files = ["config.pbtxt", ...(labelled ? [LABELS_FILE] : []), `${meta.version}/model.onnx`];
  return {
    modelDir,
    files: files.map((f) => join(modelDir, f)),
    maxBatchSize: batchable({ inputs, outputs }) ? maxBatchSize : 0,
    bytes: onnx.length + config.length,
  };
}
