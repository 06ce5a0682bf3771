/**
 * `mmml export --model NAME[@VERSION] --format onnx [--out FILE]`: the version's tfjs model (with its
 * preprocessing folded in) as an ONNX file, written atomically; NAME-vVERSION.onnx in the working
 * directory by default.
 *
 * `mmml export --model NAME[@VERSION] --format triton [--out DIR] [--max-batch-size N]`: the version as an
 * entry of a Triton model repository (DIR/NAME/config.pbtxt, DIR/NAME/VERSION/model.onnx, labels.txt for
 * a classifier), which Triton and KServe's Triton runtime serve over OIP v2; DIR is model_repository by
 * default. The batch limit defaults to mmml serve's (serving.limits.max_rows, or max_images).
 */
import { type CommandSpec, formatHelp, JSON_FLAG, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import { useBackend } from "../../backend/choose.ts";
import { BACKEND_NAMES, type BackendName } from "../../config/schema.ts";
import { MmmlError } from "../../errors.ts";
import { exportVersion } from "../../runs/export.ts";
import { exportTriton } from "../../runs/export_triton.ts";
import { ServingConfig } from "../../config/schema.ts";
import type { ModelVersion } from "../../registry/registry_types.ts";
import { verifyArtifacts } from "../../registry/artifact_hashes.ts";
import { cwdPath, MODEL_REF_FLAG, openRegistry, REGISTRY_FLAG, requireFlags } from "./model_flags.ts";
import { writeAtomically } from "./write_atomically.ts";

/** Formats `mmml export` writes. */
export const EXPORT_FORMATS = ["onnx", "triton"] as const;

export const EXPORT_SPEC = {
  name: "export",
  summary: "Export a registered model to ONNX (preprocessing included for tabular models), or as a Triton " +
    "model repository entry.",
  flags: {
    model: MODEL_REF_FLAG,
    format: {
      type: "string",
      valueName: "FORMAT",
      description: `output format: ${EXPORT_FORMATS.join("|")} (default onnx)`,
    },
    out: {
      type: "string",
      short: "o",
      valueName: "FILE",
      description: "output file (default NAME-vVERSION.onnx); for triton, the repository folder " +
        "(default model_repository)",
    },
    "max-batch-size": {
      type: "string",
      valueName: "N",
      description: "triton: the largest batch Triton may form (default: mmml serve's row or image limit)",
    },
    registry: REGISTRY_FLAG,
    json: JSON_FLAG,
  },
} as const satisfies CommandSpec;

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, help } = parseCommandArgs(args, EXPORT_SPEC);
  if (help) {
    ctx.stdout(formatHelp(EXPORT_SPEC));
    return 0;
  }
  requireFlags(values, "export", ["model"]);
  const format = values.format ?? "onnx";
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new MmmlError("usage", `--format expects ${EXPORT_FORMATS.join("|")}, received "${format}"`);
  }
  const registry = await openRegistry(values.registry, ctx);
  const version = await registry.resolve(values.model!);
  const { name, version: number, backend } = version.meta;
  await verifyArtifacts(version);
  // The exporter reads weights through tfjs, which needs a backend; the one the version trained on.
  await useBackend((BACKEND_NAMES as readonly string[]).includes(backend) ? backend as BackendName : "wasm");
  if (format === "triton") return await writeTriton(version, values, ctx);
  const bytes = await exportVersion(version);
  const out = values.out ?? `${name}-v${number}.onnx`;
  const path = cwdPath(out, ctx);
  await writeAtomically(path, bytes, "--out");
  if (values.json) {
    ctx.stdout(JSON.stringify({ model: name, version: number, format, path, bytes: bytes.length }) + "\n");
  } else {
    ctx.stdout(`${name}@${number} -> ${out} (${format}, ${bytes.length} bytes)\n`);
  }
  return 0;
}

async function writeTriton(
  version: ModelVersion,
  values: { out?: string; "max-batch-size"?: string; json?: boolean },
  ctx: CliContext,
): Promise<number> {
  const { limits } = ServingConfig.parse({});
  let maxBatchSize = version.meta.task === "image" ? limits.max_images : limits.max_rows;
  if (values["max-batch-size"] !== undefined) {
    maxBatchSize = Number(values["max-batch-size"]);
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
      throw new MmmlError(
        "usage",
        `--max-batch-size expects a whole number of at least 1, received "${values["max-batch-size"]}"`,
      );
    }
  }
  const out = values.out ?? "model_repository";
  const written = await exportTriton(version, cwdPath(out, ctx), { maxBatchSize, exportOnnx: exportVersion });
  const { name, version: number } = version.meta;
  if (values.json) {
    ctx.stdout(
      JSON.stringify({
        model: name,
        version: number,
        format: "triton",
        path: written.modelDir,
        files: written.files,
        max_batch_size: written.maxBatchSize,
        bytes: written.bytes,
      }) + "\n",
    );
  } else {
    ctx.stdout(`${name}@${number} -> ${written.modelDir} (triton, max_batch_size ${written.maxBatchSize})\n`);
  }
  return 0;
}
