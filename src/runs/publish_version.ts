/**
 * The end of a training run: everything it made becomes a new registry version in one step. The files
 * are written into the registry's private staging folder through the artifact table (model/, the run's
 * inputs, metrics.json, the report's files, model.onnx, the work folder's history and checkpoints), and
 * the registry publishes them atomically, or not at all if anything fails.
 */
import { join } from "node:path";
import { artifactFolder } from "../artifacts/artifact_folder.ts";
import type { MetricsArtifact } from "../artifacts/metrics_file.ts";
import { CHECKPOINTS_DIR, HISTORY_FILE, ONNX_FILE } from "../artifacts/version_files.ts";
import type { MmmlConfig } from "../config/schema.ts";
import type { MmmlModel } from "../models/model.ts";
import { saveModel } from "../models/model_io.ts";
import type { ModelMeta, ModelVersion, Registry } from "../registry/registry_types.ts";
import { writeRunReport } from "../report/write_run_report.ts";
import { type PreparedData, writeRunInputs } from "../tasks/prepared_data.ts";
import { copyTree } from "./work_dir.ts";

/** The metadata a run registers (the registry adds name, version, dates, hashes, stages and tags). */
export type RegisterMeta = Omit<ModelMeta, "name" | "version" | "created" | "files" | "stages" | "tags">;

/** What a finished run hands over to be published. */
export interface RunOutputs {
  name: string;
  meta: RegisterMeta;
  config: MmmlConfig;
  data: PreparedData;
  model: MmmlModel;
  /** The object written to metrics.json. */
  metrics: MetricsArtifact & Record<string, unknown>;
  /** Predicted probabilities of the validation and test splits, for the report's ROC curves. */
  probs: { val: Float32Array | null; test: Float32Array | null };
  onnx: Uint8Array;
  /** The run's work folder, whose history.jsonl and checkpoints/ travel with the version. */
  workDir: string;
}

/** Registers the run's outputs as the next version of `name`. */
export async function publishVersion(registry: Registry, out: RunOutputs): Promise<ModelVersion> {
  return await registry.register(out.name, out.meta, async (dir) => {
    const folder = artifactFolder(dir, { label: `${out.name} (being published)` });
    await saveModel(out.model, dir);
    await writeRunInputs(folder, out.config, out.data);
    await folder.write("metrics", out.metrics);
    await writeRunReport(folder, {
      meta: { name: out.name, ...out.meta },
      metrics: out.metrics,
      config: out.config,
      data: out.data,
      probs: out.probs,
    });
    await Deno.writeFile(folder.path(ONNX_FILE), out.onnx);
    await copyIfExists(join(out.workDir, HISTORY_FILE), folder.path(HISTORY_FILE));
    await copyTree(join(out.workDir, CHECKPOINTS_DIR), folder.path(CHECKPOINTS_DIR));
  });
}

async function copyIfExists(from: string, to: string): Promise<void> {
  try {
    await Deno.copyFile(from, to);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}
