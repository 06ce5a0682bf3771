/**
 * The registry's interface: metadata in SQLite (sqlite_registry.ts) or PostgreSQL (postgres_registry.ts),
 * picked by open_registry.ts from a folder path or a postgres:// URL. Each version's files live in a
 * folder the registry publishes atomically; what those files are is the artifact table's business
 * (src/artifacts/version_files.ts), not the registry's: it hashes whatever the run wrote.
 */
import type { Task } from "../config/schema.ts";

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
  /** The sweep trial that trained this version (mmml sweep), with the config keys it set. */
  sweep?: {
    id: string;
    trial: number;
    params: Record<string, unknown>;
    /** The metric the sweep optimises and its direction (for `mmml sweep report`). */
    metric?: string;
    mode?: "min" | "max";
  };
  /** The key of an idempotent publish (RegisterOptions.key): one version per key, ever. */
  publish_key?: string;
}

export interface RegisterOptions {
  /**
   * Publish at most once per key: when a version of the name already carries this key, it is returned
   * and nothing is written, checked inside the publish transaction, so two processes running the same
   * trial (one lease expired while it still ran) end with one version.
   */
  key?: string;
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
    options?: RegisterOptions,
  ): Promise<ModelVersion>;
  /** Resolves `NAME`, `NAME@3`, `NAME@latest`, `NAME@best`, `NAME@<stage>`. */
  resolve(ref: string): Promise<ModelVersion>;
  list(name?: string): Promise<ModelVersion[]>;
  /**
   * Replaces the stages of `name` version `version` (e.g. ["production"]) and returns the version. With
   * `exclusive`, the same stages are taken off every other version of `name` in the same step, so a
   * promotion moves a stage instead of copying it.
   */
  setStages(
    name: string,
    version: number,
    stages: string[],
    options?: { exclusive?: boolean },
  ): Promise<ModelVersion>;
  /** Replaces the free-form tags of `name` version `version` and returns the version. */
  setTags(name: string, version: number, tags: string[]): Promise<ModelVersion>;
  /**
   * Removes a version: its metadata first (from then on no reader sees it), then its folder. Its number
   * is never handed out again. Throws MmmlError "model_not_found" when there is no such version.
   */
  delete(name: string, version: number): Promise<void>;
  /**
   * Re-hashes every artifact recorded at registration; throws MmmlError "artifact_corrupt" naming the
   * first file that is missing or whose sha256 differs (a changed byte, a truncation).
   */
  verify(version: ModelVersion): Promise<void>;
  /** Releases connections and file handles; the registry is unusable afterwards. */
  close(): Promise<void>;
}
