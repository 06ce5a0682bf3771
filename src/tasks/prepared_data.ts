/**
 * What a training run needs from its data, whatever the task: sources for each split, the classes, the
 * model input shape, and the task-specific artifacts (schema and preprocessor for CSVs, image
 * preprocessing for folders) the registry must keep so predict and serve can repeat the preprocessing.
 */
import { redactDeep } from "../redact.ts";
import * as tf from "@tensorflow/tfjs";
import type { ArtifactFolder } from "../artifacts/artifact_folder.ts";
import type { ArtifactInput, JsonArtifactName } from "../artifacts/version_files.ts";
import type { TargetScaling } from "../preprocess/target_scaling.ts";
import type { MmmlConfig } from "../config/schema.ts";
import type { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import type { Task } from "../config/schema.ts";
import type { DataSource } from "../data/data_source.ts";
import type { MmmlModel } from "../models/model.ts";

/** The JSON artifacts a task's data writes beside the model, by artifact name. */
export type RunArtifacts = { [K in JsonArtifactName]?: ArtifactInput<K> };

export interface PreparedData {
  task: Task;
  classes: string[];
  /** Model input shape without the batch dimension. */
  inputShape: number[];
  train: DataSource;
  val: DataSource | null;
  test: DataSource | null;
  /** Where the test rows came from: "split", a --test file or a test folder. */
  testSource: string;
  /** Whether training batches are augmented (image tasks). */
  augment: boolean;
  fingerprint: string;
  /** The task's fitted inputs (schema and preprocessor, or image preprocessing), saved with the model. */
  artifacts: RunArtifacts;
  /** Regression: the target's standardisation (the model predicts (y - mean) / std). */
  target?: TargetScaling;
  /** Tabular numeric preprocessing folded into the ONNX graph. */
  onnxPreprocessor?: PreprocessorState;
  loadSeconds: number;
  preprocessSeconds: number;
}

/**
 * Probabilities [source.size, k] row-major for every row of a source, in source order. Read with
 * `await data()` so it runs on backends that cannot read synchronously (webgpu under Deno).
 */
export async function predictSource(
  model: MmmlModel,
  source: DataSource,
  batchSize = 256,
): Promise<Float32Array> {
  const k = model.spec.numClasses;
  const out = new Float32Array(source.size * k);
  let offset = 0;
  for await (const batch of source.batches({ batchSize, shuffle: false, seed: 0, augment: false })) {
    const probs = tf.tidy(() => model.predict(tf.tensor(batch.x, [batch.size, ...model.spec.inputShape])));
    try {
      out.set(await probs.data() as Float32Array, offset * k);
    } finally {
      probs.dispose();
    }
    offset += batch.size;
  }
  return out;
}

/**
 * Writes what every run saves of its inputs: the config, the classes and the task's fitted preprocessing,
 * into a work folder (when the run starts) or a version folder (when it is published).
 */
export async function writeRunInputs(
  folder: ArtifactFolder,
  config: MmmlConfig,
  data: PreparedData,
): Promise<void> {
  // Saved without secrets: a registry URL's password stays out of config.json, the report and compare.
  await folder.write("config", redactDeep(config));
  if (data.classes.length) await folder.write("classes", data.classes);
  for (const [name, value] of Object.entries(data.artifacts) as [JsonArtifactName, unknown][]) {
    await folder.write(name, value as never);
  }
}
