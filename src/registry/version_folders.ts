/**
 * The file-system side of the database-backed registries: under ROOT/<name>/, version folders v<N>,
 * private .staging-<uuid> folders being filled, and .trash-<uuid> folders being removed. The layout is
 * the folder registry's (file_registry.ts), so a folder registry becomes a SQLite one in place.
 */
import { holdOwnerLock, type OwnerLock, ownerState } from "./folder_owner.ts";
import { join } from "node:path";
import { exists } from "../files.ts";
import { META_FILE } from "./artifact_hashes.ts";
import type { ModelMeta, Registry } from "./registry_types.ts";

/** A version folder's name: v1, v2, ... */
export const VERSION_DIR = /^v([1-9][0-9]*)$/;
/** A staging folder untouched this long belongs to a dead writer (training fills it in seconds). */
const STALE_STAGING_MS = 24 * 3600_000;

/** The entries of a folder; none when it does not exist. */
export async function dirEntries(path: string): Promise<Deno.DirEntry[]> {
  try {
    return await Array.fromAsync(Deno.readDir(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** A new, empty, private staging folder for a version, and the owner lock that marks it as in use. */
export interface Staging {
  dir: string;
  /** Held while the folder is filled; released (and its file removed) once published or abandoned. */
  lock: OwnerLock;
}

/**
 * A new, empty, private staging folder for a version of the model whose folder is `modelDir`, with its
 * owner lock (`<folder>.lock` beside it, taken before the folder exists, so a sweeper never sees the
 * folder without its live lock).
 */
export async function makeStaging(modelDir: string): Promise<Staging> {
  await Deno.mkdir(modelDir, { recursive: true });
  const dir = join(modelDir, `${STAGING_PREFIX}${crypto.randomUUID()}`);
  const lock = await holdOwnerLock(`${dir}${LOCK_SUFFIX}`);
  try {
    await Deno.mkdir(dir);
  } catch (err) {
    await lock.release();
    throw err;
  }
  return { dir, lock };
}

/** fsyncs every file under `dir` and the folders themselves, so a committed row never outlives its bytes. */
export async function syncTree(dir: string): Promise<void> {
  for (const entry of await dirEntries(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) await syncTree(path);
    else if (entry.isFile) {
      using file = await Deno.open(path, { read: true });
      await file.sync();
    }
  }
  using self = await Deno.open(dir, { read: true });
  await self.sync();
}

/**
 * A new version's metadata: name and version first (in meta.json too), and nothing in `meta` overrides
 * them or the fields the registry sets.
 */
export function versionMeta(
  name: string,
  version: number,
  meta: Parameters<Registry["register"]>[1],
  { created, files, key }: { created: string; files: Record<string, string>; key?: string },
): ModelMeta {
  return Object.assign({ name, version }, meta, {
    name,
    version,
    created,
    files,
    stages: [],
    tags: [],
  }, key === undefined ? {} : { publish_key: key });
}

/** meta.json as the folder registry writes it. */
export function metaJson(meta: ModelMeta): string {
  return JSON.stringify(meta, null, 2) + "\n";
}

/**
 * Rewrites DIR/meta.json atomically (readers see the old or the new one); a missing folder is left
 * alone, since the database row, not this mirror, is the truth.
 */
export async function mirrorMeta(dir: string, meta: ModelMeta): Promise<void> {
  const tmp = join(dir, `.meta.json.tmp-${crypto.randomUUID()}`);
  try {
    await Deno.writeTextFile(tmp, metaJson(meta));
    await Deno.rename(tmp, join(dir, META_FILE));
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Renames `path` to a .trash-<uuid> sibling (instant, and invisible to readers); false if already gone. */
export async function moveToTrash(path: string): Promise<boolean> {
  try {
    await Deno.rename(path, join(path, "..", `.trash-${crypto.randomUUID()}`));
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * The v<K> folders of `modelDir` whose K is not in `keep`: left by a publish killed before its COMMIT
 * finished, or by an interrupted delete. Only meaningful while holding the registry's write lock: then
 * no live writer is between its rename and its COMMIT.
 */
export async function orphanFolders(modelDir: string, keep: ReadonlySet<number>): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await dirEntries(modelDir)) {
    const m = VERSION_DIR.exec(entry.name);
    if (m && !keep.has(Number(m[1]))) names.push(entry.name);
  }
  return names.sort();
}

/** The prefix of staging folders. */
export const STAGING_PREFIX = ".staging-";
/** The owner lock of a staging folder is the folder's name plus this, beside it. */
export const LOCK_SUFFIX = ".lock";

/**
 * Whether a staging folder is left over: its writer's lock is free (the writer is dead), or, without a
 * lock file (an older mmml), it has been untouched for a day.
 */
export async function isStaleStaging(path: string, now = Date.now()): Promise<boolean> {
  const state = await ownerState(`${path}${LOCK_SUFFIX}`);
  if (state !== "unknown") return state === "dead";
  const mtime = (await Deno.stat(path).catch(() => null))?.mtime?.getTime() ?? now;
  return now - mtime > STALE_STAGING_MS;
}

/** Removes trash, stale staging folders and their free lock files, of one model; best effort. */
export async function removeLeftovers(modelDir: string, now = Date.now()): Promise<void> {
  for (const entry of await dirEntries(modelDir)) {
    const path = join(modelDir, entry.name);
    if (entry.name.startsWith(".trash-")) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    } else if (
      entry.name.startsWith(STAGING_PREFIX) && entry.isDirectory && await isStaleStaging(path, now)
    ) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
      await Deno.remove(`${path}${LOCK_SUFFIX}`).catch(() => {});
    } else if (entry.name.startsWith(STAGING_PREFIX) && entry.name.endsWith(LOCK_SUFFIX)) {
      // A lock whose folder is gone (published or removed): drop it once nobody holds it.
      const folder = path.slice(0, -LOCK_SUFFIX.length);
      if (!(await exists(folder)) && await ownerState(path) === "dead") {
        await Deno.remove(path).catch(() => {});
      }
    }
  }
}

/** removeLeftovers for every model folder under `root` (on open: a killed publish leaves nothing). */
export async function sweepRegistryFolder(root: string, now = Date.now()): Promise<void> {
  for (const entry of await dirEntries(root)) {
    if (entry.isDirectory && !entry.name.startsWith(".")) await removeLeftovers(join(root, entry.name), now);
  }
}

/** The highest N of the v<N> folders of `modelDir`, published or not; 0 when there are none. */
export async function highestVersionFolder(modelDir: string): Promise<number> {
  let max = 0;
  for (const entry of await dirEntries(modelDir)) {
    const m = VERSION_DIR.exec(entry.name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
}
