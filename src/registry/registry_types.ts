/**
 * The registry's interface. Issue 2 ships a folder-backed implementation; SQLite/PostgreSQL metadata
 * (issue 5) must implement the same interface.
 *
 * Layout of one version's artifacts folder (written by the training pipeline, read by everything else):
 *   meta.json           ModelMeta below
 *   config.json         the effective MmmlConfig of the run
 *   model/model.json    tfjs topology + weights manifest; model/weights.bin
 *   preprocessor.json   PreprocessorState (tabular)
 *   schema.json         DataSchema (tabular)
 *   classes.json        class names in output order
 *   metrics.json        {"val": {...}, "test": {...}, "history": [...]}
 *   model.onnx          the exported ONNX graph (issue 3)
 *   checkpoints/        best/last weights
 */
export type Task = "tabular" | "image";

export interface ModelMeta {
  name: string;
  version: number;
  task: Task;
  arch: string;
  created: string;
  backend: string;
  classes: string[];
  /** "val.accuracy" style keys flattened from metrics.json's val and test blocks. */
  metrics: Record<string, number>;
  timings: Record<string, number>;
  /** sha256 of the training data (file bytes for CSV, sorted path+size list for image folders). */
  data_fingerprint: string;
  /** Input shape without batch dimension. */
  input_shape: number[];
  stages: string[];
  tags: string[];
  /** sha256 per artifact file, relative to the version folder. */
  files: Record<string, string>;
}

export interface ModelVersion {
  meta: ModelMeta;
  /** Absolute path of the version's artifacts folder. */
  dir: string;
}

export interface Registry {
  /** Where this registry lives (folder or URL), for messages. */
  readonly location: string;
  /**
   * Registers a new version of `name`: `write(dir)` fills a private staging folder, then the version is
   * published atomically with the next free number. If `write` throws, nothing is published.
   */
  register(
    name: string,
    meta: Omit<ModelMeta, "name" | "version" | "created" | "files" | "stages" | "tags">,
    write: (dir: string) => Promise<void>,
  ): Promise<ModelVersion>;
  /** Resolves `NAME`, `NAME@3`, `NAME@latest`, `NAME@best`, `NAME@<stage>`. */
  resolve(ref: string): Promise<ModelVersion>;
  list(name?: string): Promise<ModelVersion[]>;
}
