/**
 * A training run's work folder: what the run needs to be resumed if it dies before it registers a
 * version. It holds the run's inputs (config.json, the fitted preprocessor.json/schema.json or
 * image_preprocessing.json, classes.json, run.json) from the start, then history.jsonl and checkpoints/
 * (last: weights + trainer state) as epochs finish. It lives in the registry folder under
 * .work/<run-id>/ (the registry ignores dot-folders), or in the OS temp folder for a PostgreSQL registry,
 * and is removed once the version is published.
 */
import { basename, dirname, join } from "node:path";
import { artifactFolder } from "../artifacts/artifact_folder.ts";
import { LAST_CHECKPOINT } from "../artifacts/version_files.ts";
import type { MmmlConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { isPostgresUrl } from "../registry/open_registry.ts";
import type { Registry } from "../registry/registry_types.ts";
import { SQLITE_FILE } from "../registry/sqlite_registry.ts";
import { hasTrainerState, type TrainerState } from "../training/trainer_state.ts";
import { type PreparedData, writeRunInputs } from "../tasks/prepared_data.ts";

/** The folder under a folder registry that holds the work folders of running (or killed) runs. */
export const WORK_FOLDER = ".work";
/** The owner lock a training holds in its work folder while it runs (registry/folder_owner.ts). */
export const WORK_OWNER_FILE = "owner.lock";

/** Where a resumed run starts: the checkpoint it loads and the work folder it continues in. */
export interface ResumePoint {
  /** A folder holding model/ and the trainer state (a `checkpoints/last`). */
  checkpoint: string;
  state: TrainerState;
  /**
   * Makes (or names) the work folder the resumed run writes to, holding the source's best checkpoint;
   * called once the model is loaded, so a failed load leaves no folder behind.
   */
  openWorkDir(): Promise<string>;
  /** Entries for metrics.json saying where the run came from, e.g. {resumed_from: "iris@3"}. */
  provenance: Record<string, string>;
  /** run.json's resumed_from for the new work folder. */
  resumedFrom: string | null;
}

/** Makes a fresh work folder for a run of `name` in the registry's folder, or the OS temp folder. */
export async function createRunWorkDir(registry: Registry, name: string): Promise<string> {
  // The name is the model's (letters, digits, _ . -), so the folder name is safe as is.
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  const id = `${name}-${stamp}-${crypto.randomUUID().slice(0, 8)}`;
  const root = await registryFolder(registry.location);
  if (root === null) return await Deno.makeTempDir({ prefix: `mmml-train-${id}-` });
  const dir = join(root, WORK_FOLDER, id);
  // Another run finishing may remove an empty .work between the two mkdirs; try again then.
  for (let attempt = 1;; attempt++) {
    try {
      await Deno.mkdir(dir, { recursive: true });
      return dir;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || attempt === 5) throw err;
    }
  }
}

/**
 * The folder of a folder registry: its location is the folder or the metadata database inside it
 * (SQLite's registry.db, made on the first write). Null for a PostgreSQL URL.
 */
async function registryFolder(location: string): Promise<string | null> {
  if (isPostgresUrl(location)) return null;
  try {
    const info = await Deno.stat(location);
    return info.isDirectory ? location : dirname(location);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return basename(location) === SQLITE_FILE ? dirname(location) : location;
    }
    throw err;
  }
}

/** Writes the run's inputs into its work folder, so a killed run can be resumed with the same features. */
export async function writeWorkInputs(
  dir: string,
  { config, data, name, resumedFrom }: {
    config: MmmlConfig;
    data: PreparedData;
    name: string;
    resumedFrom: string | null;
  },
): Promise<void> {
  const folder = artifactFolder(dir);
  await writeRunInputs(folder, config, data);
  await folder.write("run", {
    name,
    task: data.task,
    data_fingerprint: data.fingerprint,
    resumed_from: resumedFrom,
    started: new Date().toISOString(),
  });
}

/**
 * Ends a run's use of its work folder: removed after a publish, or when a failed run left nothing to
 * resume; kept (and named in a warning) when a failed run has a resumable last checkpoint.
 */
export async function closeRunWorkDir(
  dir: string,
  { published, logger }: { published: boolean; logger: Logger },
): Promise<void> {
  if (!published && await hasTrainerState(join(dir, LAST_CHECKPOINT)).catch(() => false)) {
    logger.warn(
      `training did not finish; its last checkpoint stays in ${dir}: resume with --resume-dir ${dir}`,
    );
    return;
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  // The shared .work folder goes too once no run uses it; remove() refuses a non-empty folder.
  if (basename(dirname(dir)) === WORK_FOLDER) await Deno.remove(dirname(dir)).catch(() => {});
}

/** The registry folder a work folder belongs to (its grandparent when under .work/), else null. */
export function registryOfWorkDir(dir: string): string | null {
  return basename(dirname(dir)) === WORK_FOLDER ? dirname(dirname(dir)) : null;
}

/** Copies a folder tree; a missing source copies nothing. */
export async function copyTree(from: string, to: string): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(from));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  await Deno.mkdir(to, { recursive: true });
  for (const entry of entries) {
    const [src, dst] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory) await copyTree(src, dst);
    else if (entry.isFile) await Deno.copyFile(src, dst);
  }
}
