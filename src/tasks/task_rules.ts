/**
 * What differs per task, as one interface: every part of mmml that would otherwise ask "tabular or
 * image?" asks the task's rules instead (tasks.ts holds the table). Adding a task (regression is next)
 * means writing one more TaskRules, not editing the runs, the loader, the exporter and the server.
 */
import type { ArtifactFolder } from "../artifacts/artifact_folder.ts";
import type { MmmlConfig, Task } from "../config/schema.ts";
import type { DataSource } from "../data/data_source.ts";
import type { ClassificationReport } from "../evaluation/metrics.ts";
import type { RegressionReport } from "../evaluation/regression_metrics.ts";
import type { ValMetrics } from "../training/fit_options.ts";
import type { Objective } from "../training/objective.ts";
import type { PredictorInput } from "../inference/predictor.ts";
import type { Logger } from "../log.ts";
import type { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import type { PreparedData } from "./prepared_data.ts";
import type { TaskInputs } from "./task_inputs.ts";
import type { TrainedModel } from "./trained_model.ts";

/** How scoring commands name what they read, and where their progress goes. */
export interface ScoringOptions {
  logger?: Logger;
  /** How the path reads in output and messages (the command line's spelling); default the path. */
  display?: string;
  /** Refuse input columns the model does not read instead of ignoring them (predict --strict-columns). */
  strictColumns?: boolean;
  /** The input's bytes when they came from standard input (`--input -`); the path then only names them. */
  content?: Uint8Array;
  /** Input columns copied into each prediction beside `row` (predict --keep-columns; tables only). */
  keepColumns?: readonly string[];
}

/** One prediction: the most probable class and every class's probability, or a regression's value. */
export type Scored = { label: string; probabilities: Record<string, number> } | { value: number };

/** What `mmml predict` prints: one entry per row or image, in input order. */
export interface PredictionResult {
  /** Each also says where it came from (`row` of a CSV, `file` of an image). */
  predictions: Scored[];
  /** Table inputs: the columns the model does not read, which were ignored. */
  ignored_columns?: string[];
}

/** A split's figures: a classification's report, or a regression's. */
export type SplitReport = ClassificationReport | RegressionReport;

/** What `mmml evaluate` prints: how many rows or images were scored, and the metrics. */
export interface EvaluationResult {
  rows: number;
  metrics: SplitReport;
}

/** A fresh run's data, or (resuming) the same data encoded with the saved inputs and classes. */
export interface SavedRunInputs {
  inputs: TaskInputs;
  classes: string[];
}

/** The rules of one task. */
export interface TaskRules {
  readonly name: Task;
  /** How results count what they scored: "rows", "images". */
  readonly unit: string;
  /** What `training.lr_schedule.name: auto` runs. */
  readonly autoLrSchedule: "constant" | "cosine";
  /**
   * Settings this task wants where the user set none (dotted key -> value; see
   * src/config/task_defaults.ts), e.g. a regression's epochs and batch size.
   */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** What `training.weight_decay: auto` is, for this many training rows. */
  autoWeightDecay(trainRows: number): number;
  /** The model's head: class probabilities, or one value. */
  readonly modelOutput: "softmax" | "linear";
  /** What the fit minimises. */
  objective(config: MmmlConfig): Objective;
  /** The figures logged beside val_loss each epoch (macro F1, RMSE). */
  valMetrics(data: PreparedData): ValMetrics;
  /** A split's report from the model's outputs on it (probabilities, or standardised values). */
  report(outputs: Float32Array, source: DataSource, data: PreparedData): SplitReport;
  /** A report's numbers keyed `prefix + name`, for registry metadata. */
  flatten(report: SplitReport, prefix: string): Record<string, number>;
  /** The headline figures `train --json` prints for a split (none for an absent one). */
  scalars(report: SplitReport | null): Record<string, number>;
  /** Fails with a usage error naming the right choices when `config.model` cannot learn this task. */
  checkModel(config: MmmlConfig): void;
  /** Reads, splits and preprocesses the data `config.data` names; with `saved`, reuses a run's inputs. */
  prepare(config: MmmlConfig, logger: Logger, saved?: SavedRunInputs): Promise<PreparedData>;
  /** What a version or work folder saved of the task's inputs. */
  readInputs(folder: ArtifactFolder): Promise<TaskInputs>;
  /** The model input shape the inputs produce, and how to say so when a model does not take it. */
  inputShape(inputs: TaskInputs): { shape: number[]; says: string };
  /** Preprocessing folded into the ONNX graph (the tabular numeric steps), if any. */
  onnxPreprocessor(inputs: TaskInputs): PreprocessorState | undefined;
  /** The encoder ONNX serving feeds the graph with. */
  servingInput(inputs: TaskInputs, folder: ArtifactFolder): PredictorInput;
  /** Scores a loaded model on labelled data at `path`. */
  evaluate(trained: TrainedModel, path: string, options?: ScoringOptions): Promise<EvaluationResult>;
  /** Predicts every row or image at `path`. */
  predict(trained: TrainedModel, path: string, options?: ScoringOptions): Promise<PredictionResult>;
}
