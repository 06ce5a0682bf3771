/**
 * `mmml export --model NAME[@VERSION] --format onnx [--out FILE]`: the version's tfjs model (with its
 * preprocessing folded in) as an ONNX file, written atomically; NAME-vVERSION.onnx in the working
 * directory by default.
 */
import { type CommandSpec, formatHelp, JSON_FLAG, parseCommandArgs } from "../args.ts";
import type { CliContext } from "../context.ts";
import { useBackend } from "../../backend/choose.ts";
import { BACKEND_NAMES, type BackendName } from "../../config/schema.ts";
import { MmmlError } from "../../errors.ts";
import { exportVersion } from "../../runs/export.ts";
import { verifyArtifacts } from "../../registry/artifact_hashes.ts";
import { cwdPath, MODEL_REF_FLAG, openRegistry, REGISTRY_FLAG, requireFlags } from "./model_flags.ts";
import { writeAtomically } from "./write_atomically.ts";

/** Formats `mmml export` writes. */
export const EXPORT_FORMATS = ["onnx"] as const;

export const EXPORT_SPEC = {
  name: "export",
  summary: "Export a registered model to ONNX (preprocessing included for tabular models).",
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
      description: "output file (default NAME-vVERSION.onnx)",
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
