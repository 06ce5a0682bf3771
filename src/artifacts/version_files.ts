/**
 * The files of a version folder (and of a run's work folder, which holds the same inputs while the run
 * trains), in one table: each JSON file's name and the zod schema it is read back with, and the names of
 * the other files and folders. Nothing else in the code base spells these names; artifact_folder.ts is
 * the only reader and writer of the JSON files (Ludwig keeps its artifact names in one module the same
 * way: ludwig/globals.py).
 *
 *   meta.json               the registry's metadata mirror (src/registry/, not listed here)
 *   config.json             the run's effective config
 *   classes.json            class names in output order
 *   preprocessor.json       fitted tabular preprocessing          (tabular)
 *   schema.json             the input columns                      (tabular)
 *   image_preprocessing.json size, channels, mean and std          (image)
 *   metrics.json            val and test reports, history, engine, backend, timings
 *   roc.json                ROC curves per class and split        (classes)
 *   prediction_points.json  true and predicted values per split   (regression)
 *   data_summary.json       rows and class counts per split
 *   run.json                a work folder's identity (not published)
 *   model/                  the tfjs model (model.json + weights.bin)
 *   model.onnx              the ONNX export that serving loads
 *   history.jsonl           one JSON line per epoch
 *   checkpoints/{best,last} weights (and, in last, the resumable trainer state)
 *   report.html             the HTML training report
 */
import { z } from "zod";
import { DataSchema } from "../data/data_schema.ts";
import { MODEL_SUBDIR } from "../models/model_io.ts";
import { BEST_SUBDIR, LAST_SUBDIR } from "../training/callbacks/model_checkpoint.ts";
import { ImagePreprocessing } from "../preprocess/image_preprocessing.ts";
import { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import { DataSummary } from "./data_summary_file.ts";
import { MetricsArtifact } from "./metrics_file.ts";
import { PredictionPoints } from "./prediction_points_file.ts";
import { RocArtifact } from "./roc_file.ts";
import { RunInfo } from "./run_info.ts";
import { SavedConfig } from "./saved_config.ts";

/** How a JSON artifact is written: indented for people, or one line where it is mostly numbers. */
export type JsonLayout = "pretty" | "line";

/** One JSON file of a version folder. */
export interface JsonArtifact {
  file: string;
  schema: z.ZodType;
  layout: JsonLayout;
}

/** Every JSON file, by the key code uses to read or write it. */
export const JSON_ARTIFACTS = Object.freeze(
  {
    config: { file: "config.json", schema: SavedConfig, layout: "pretty" },
    classes: { file: "classes.json", schema: z.array(z.string()).min(2), layout: "pretty" },
    preprocessor: { file: "preprocessor.json", schema: PreprocessorState, layout: "pretty" },
    schema: { file: "schema.json", schema: DataSchema, layout: "pretty" },
    image_preprocessing: { file: "image_preprocessing.json", schema: ImagePreprocessing, layout: "pretty" },
    metrics: { file: "metrics.json", schema: MetricsArtifact, layout: "pretty" },
    roc: { file: "roc.json", schema: RocArtifact, layout: "line" },
    prediction_points: { file: "prediction_points.json", schema: PredictionPoints, layout: "line" },
    data_summary: { file: "data_summary.json", schema: DataSummary, layout: "pretty" },
    run: { file: "run.json", schema: RunInfo, layout: "pretty" },
  } as const satisfies Record<string, JsonArtifact>,
);

export type JsonArtifactName = keyof typeof JSON_ARTIFACTS;
/** What reading artifact `K` gives (its schema's output). */
export type ArtifactValue<K extends JsonArtifactName> = z.output<(typeof JSON_ARTIFACTS)[K]["schema"]>;
/** What writing artifact `K` takes (its schema's input). */
export type ArtifactInput<K extends JsonArtifactName> = z.input<(typeof JSON_ARTIFACTS)[K]["schema"]>;

/** The other files and folders, by name. */
export const MODEL_DIR = MODEL_SUBDIR;
export const ONNX_FILE = "model.onnx";
export const HISTORY_FILE = "history.jsonl";
export const CHECKPOINTS_DIR = "checkpoints";
/** The checkpoint a run resumes from (weights and trainer state), under CHECKPOINTS_DIR. */
export const LAST_CHECKPOINT = `${CHECKPOINTS_DIR}/${LAST_SUBDIR}`;
/** The best epoch's weights, under CHECKPOINTS_DIR. */
export const BEST_CHECKPOINT = `${CHECKPOINTS_DIR}/${BEST_SUBDIR}`;
export const REPORT_FILE = "report.html";
