/**
 * The file-system side of the database-backed registries: under ROOT/<name>/, version folders v<N>,
 * private .staging-<uuid> folders being filled, and .trash-<uuid> folders being removed. The layout is
 * the folder registry's (file_registry.ts), so a folder registry becomes a SQLite one in place.
 */
import { join } from "node:path";
import { META_FILE } from "./artifact_hashes.ts";
import type { ModelMeta } from "./registry_types.ts";

/** A version folder's name: v1, v2, ... */
export const VERSION_DIR = /^v([1-9][0-9]*)$/;
/** A staging folder untouched this long belongs to a dead writer (training fills it in seconds). */
const STALE_STAGING_MS = 24 * 3600_000;

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    throw e;
  }
}

/** The entries of a folder; none when it does not exist. */
export async function dirEntries(path: string): Promise<Deno.DirEntry[]> {
  try {
    return await Array.fromAsync(Deno.readDir(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** A new, empty, private staging folder for a version of the model whose folder is `modelDir`. */
export async function makeStaging(modelDir: string): Promise<string> {
  await Deno.mkdir(modelDir, { recursive: true });
  const staging = join(modelDir, `.staging-${crypto.randomUUID()}`);
  await Deno.mkdir(staging);
  return staging;
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
 * Moves to trash every v<K> folder of `modelDir` whose K is not in `keep`. Only safe while holding the
 * registry's write lock: then no live writer is between its rename and its COMMIT.
 */
export async function trashOrphans(modelDir: string, keep: ReadonlySet<number>): Promise<void> {
  for (const entry of await dirEntries(modelDir)) {
    const m = VERSION_DIR.exec(entry.name);
    if (m && !keep.has(Number(m[1]))) await moveToTrash(join(modelDir, entry.name));
  }
}

/** Removes trash and stale staging folders of one model; best effort, outside any transaction. */
export async function removeLeftovers(modelDir: string, now = Date.now()): Promise<void> {
  for (const entry of await dirEntries(modelDir)) {
    const path = join(modelDir, entry.name);
    let stale = entry.name.startsWith(".trash-");
    if (entry.name.startsWith(".staging-")) {
      const mtime = (await Deno.stat(path).catch(() => null))?.mtime?.getTime() ?? now;
      stale = now - mtime > STALE_STAGING_MS;
    }
    if (stale) await Deno.remove(path, { recursive: true }).catch(() => {});
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
