/**
 * The end of a training run: everything it made becomes a new registry version in one step. The files
 * are written into the registry's private staging folder through the artifact table (model/, the run's
 * inputs, metrics.json, the report's files, model.onnx, the work folder's history, and its checkpoints
 * when training.checkpoint.keep says so), and
 * the registry publishes them atomically, or not at all if anything fails.
 */
import { writeFileChecked } from "../disk_space.ts";
import { join } from "node:path";
import { artifactFolder } from "../artifacts/artifact_folder.ts";
import type { MetricsArtifact } from "../artifacts/metrics_file.ts";
import { CHECKPOINTS_DIR, HISTORY_FILE, ONNX_FILE } from "../artifacts/version_files.ts";
import { KEEP_CHECKPOINTS_AUTO_BYTES, type MmmlConfig } from "../config/schema.ts";
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
  /** The run's work folder, whose history.jsonl (and checkpoints/, when kept) travel with the version. */
  workDir: string;
  /** Whether checkpoints/ goes into the version (keepCheckpoints). */
  keepCheckpoints: boolean;
  /** Publish at most once under this key (RegisterOptions.key). */
  publishKey?: string;
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
    await writeFileChecked(folder.path(ONNX_FILE), out.onnx);
    await copyIfExists(join(out.workDir, HISTORY_FILE), folder.path(HISTORY_FILE));
    if (out.keepCheckpoints) await copyTree(join(out.workDir, CHECKPOINTS_DIR), folder.path(CHECKPOINTS_DIR));
  }, { key: out.publishKey });
}

/**
 * Whether a run's checkpoints go into its version (training.checkpoint.keep), and the line that says why
 * when they do not: a resumed run needs them, so leaving them out is said, not done silently.
 */
export async function keepCheckpoints(
  keep: "auto" | "always" | "never",
  workDir: string,
): Promise<{ keep: boolean; note: string | null }> {
  const bytes = await treeBytes(join(workDir, CHECKPOINTS_DIR));
  if (bytes === 0) return { keep: false, note: null };
  const mb = (bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0);
  if (keep === "always" || (keep === "auto" && bytes <= KEEP_CHECKPOINTS_AUTO_BYTES)) {
    return { keep: true, note: null };
  }
  const why = keep === "never"
    ? "training.checkpoint.keep is never"
    : `over the ${KEEP_CHECKPOINTS_AUTO_BYTES / 1024 ** 2} MB that training.checkpoint.keep: auto keeps`;
  return {
    keep: false,
    note: `checkpoints/ (${mb} MB: best weights and resumable state) left out of the version (${why}); ` +
      `model/ and model.onnx hold the trained weights. To resume it later, train with --keep-checkpoints`,
  };
}

/** Bytes of the files under `dir` (0 when it does not exist). */
async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      total += entry.isDirectory ? await treeBytes(path) : (await Deno.stat(path)).size;
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return total;
}

async function copyIfExists(from: string, to: string): Promise<void> {
  try {
    await Deno.copyFile(from, to);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}
