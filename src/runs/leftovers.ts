/**
 * What killed processes leave in a folder registry, found by `mmml doctor` and `mmml registry clean`:
 * staging folders of a publish that never finished and `.trash-` folders (both also swept whenever the
 * registry is opened), and work folders of trainings that died (`.work/<run>/`), which hold a resumable
 * checkpoint and so are reported, with the command that resumes or removes them, rather than removed
 * unasked. A folder's writer is alive while it holds its owner lock (registry/folder_owner.ts); a folder
 * without a lock (an older mmml) counts as dead once untouched for a day.
 */
import { join } from "node:path";
import { ownerState } from "../registry/folder_owner.ts";
import { dirEntries, isStaleStaging, LOCK_SUFFIX, STAGING_PREFIX } from "../registry/version_folders.ts";
import { WORK_FOLDER, WORK_OWNER_FILE } from "./work_dir.ts";

/** A folder without an owner lock is abandoned once untouched this long. */
const UNOWNED_STALE_MS = 24 * 3600_000;

export interface Leftover {
  kind: "staging" | "trash" | "work";
  path: string;
  bytes: number;
  /** What to do about it, as a command. */
  fix: string;
}

/** Bytes under `path` (files only; best effort). */
async function treeBytes(path: string): Promise<number> {
  let total = 0;
  for (const entry of await dirEntries(path)) {
    const p = join(path, entry.name);
    if (entry.isDirectory) total += await treeBytes(p);
    else total += (await Deno.stat(p).catch(() => null))?.size ?? 0;
  }
  return total;
}

async function deadWork(path: string, now: number): Promise<boolean> {
  const state = await ownerState(join(path, WORK_OWNER_FILE));
  if (state !== "unknown") return state === "dead";
  const mtime = (await Deno.stat(path).catch(() => null))?.mtime?.getTime() ?? now;
  return now - mtime > UNOWNED_STALE_MS;
}

/** The leftovers of folder registry `root`, largest first. */
export async function findLeftovers(root: string, now = Date.now()): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const add = async (kind: Leftover["kind"], path: string, fix: string) =>
    found.push({ kind, path, bytes: await treeBytes(path), fix });
  for (const model of await dirEntries(root)) {
    if (!model.isDirectory || model.name.startsWith(".")) continue;
    for (const entry of await dirEntries(join(root, model.name))) {
      const path = join(root, model.name, entry.name);
      if (!entry.isDirectory) continue;
      if (entry.name.startsWith(".trash-")) await add("trash", path, `mmml registry clean --yes`);
      else if (entry.name.startsWith(STAGING_PREFIX) && !entry.name.endsWith(LOCK_SUFFIX)) {
        if (await isStaleStaging(path, now)) await add("staging", path, `mmml registry clean --yes`);
      }
    }
  }
  for (const run of await dirEntries(join(root, WORK_FOLDER))) {
    const path = join(root, WORK_FOLDER, run.name);
    if (run.isDirectory && await deadWork(path, now)) {
      await add("work", path, `mmml train --resume-dir ${path}   (or remove it: mmml registry clean --yes)`);
    }
  }
  return found.sort((a, b) => b.bytes - a.bytes);
}

/** Removes `leftovers` (each re-checked first, so a run that came back to life is left alone). */
export async function removeLeftoverFolders(
  leftovers: readonly Leftover[],
  now = Date.now(),
): Promise<number> {
  let removed = 0;
  for (const l of leftovers) {
    const still = l.kind === "work"
      ? await deadWork(l.path, now)
      : l.kind === "trash" || await isStaleStaging(l.path, now);
    if (!still) continue;
    await Deno.remove(l.path, { recursive: true });
    if (l.kind === "staging") await Deno.remove(`${l.path}${LOCK_SUFFIX}`).catch(() => {});
    removed++;
  }
  return removed;
}
