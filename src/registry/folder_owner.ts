/**
 * Which folders being filled (a version's staging folder, a training run's work folder) still have a
 * live writer: the writer holds an exclusive lock on an owner file for as long as it works, and the
 * kernel releases the lock when the process ends, however it ends (SIGKILL included). A sweeper that can
 * take the lock knows the writer is gone. No pid or /proc is read (Deno allows /proc only to --allow-all),
 * and the lock works for every process on the host. A folder without an owner file (an older mmml) is
 * "unknown" and judged by age instead.
 */

export type OwnerState = "alive" | "dead" | "unknown";

/** A held owner lock; `release` unlocks and removes the file. */
export interface OwnerLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Creates `path` and holds an exclusive lock on it until `release` (or the process ends). */
export async function holdOwnerLock(path: string): Promise<OwnerLock> {
  const file = await Deno.open(path, { create: true, write: true });
  await file.lock(true);
  let held = true;
  return {
    path,
    async release() {
      if (!held) return;
      held = false;
      await Deno.remove(path).catch(() => {});
      file.close();
    },
  };
}

/** Whether the owner of the lock file at `path` is still running; "unknown" when there is no file. */
export async function ownerState(path: string): Promise<OwnerState> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "unknown";
    throw err;
  }
  try {
    const free = await file.tryLock(true);
    if (free) await file.unlock();
    return free ? "dead" : "alive";
  } finally {
    file.close();
  }
}
