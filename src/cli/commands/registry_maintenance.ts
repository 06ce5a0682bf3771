/**
 * `mmml registry rebuild` and `mmml registry clean`: the two ways back for a folder registry after
 * something went wrong outside mmml. Both work on the folder, so they run where the database itself
 * cannot be opened.
 * - rebuild: a registry.db that is corrupt or lost is moved aside and the index is built again from
 *   the version folders, each of which keeps its own meta.json (stages and tags included).
 * - clean: lists what killed processes left (stale staging and trash folders, dead work folders with
 *   their resumable checkpoints; src/runs/leftovers.ts) and, with --yes, removes it.
 */
import { join } from "node:path";
import type { CliContext } from "../context.ts";
import { formatBytes } from "../../disk_space.ts";
import { MmmlError } from "../../errors.ts";
import { isPostgresUrl, openRegistry as openRegistryAt } from "../../registry/open_registry.ts";
import { SQLITE_FILE } from "../../registry/sqlite_registry.ts";
import { MARKER_FILE } from "../../registry/sql_store.ts";
import { findLeftovers, removeLeftoverFolders } from "../../runs/leftovers.ts";
import { cwdPath, DEFAULT_REGISTRY } from "./model_flags.ts";

function folderOf(location: string | undefined, ctx: Pick<CliContext, "cwd">, sub: string): string {
  const where = location ?? DEFAULT_REGISTRY;
  if (isPostgresUrl(where)) {
    throw new MmmlError(
      "usage",
      `mmml registry ${sub} works on a folder registry; a PostgreSQL registry keeps its index in the ` +
        `database (back it up and restore it with the database's own tools)`,
    );
  }
  return cwdPath(where, ctx);
}

/** `registry rebuild`: moves a broken registry.db aside and indexes the version folders again. */
export async function rebuildCommand(
  location: string | undefined,
  { json, ctx }: { json: boolean; ctx: CliContext },
): Promise<number> {
  const folder = folderOf(location, ctx, "rebuild");
  const db = join(folder, SQLITE_FILE);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  const aside = `${db}.broken-${stamp}`;
  let moved = false;
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      await Deno.rename(db + suffix, aside + suffix);
      moved ||= suffix === "";
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  // The marker names the lost database's id; the rebuilt one gets a new id and claims the folder anew.
  await Deno.remove(join(folder, MARKER_FILE)).catch(() => {});
  const registry = await openRegistryAt(folder);
  let versions: number;
  try {
    versions = (await registry.list()).length;
  } finally {
    await registry.close();
  }
  const result = { registry: db, versions, ...(moved ? { previous: aside } : {}) };
  if (json) ctx.stdout(JSON.stringify(result) + "\n");
  else {
    ctx.stdout(
      `rebuilt ${db} from the meta.json of ${versions} version(s)` +
        (moved ? `; the old database is at ${aside}` : "") + "\n",
    );
  }
  return 0;
}

/** `registry clean [--yes]`: lists what killed processes left, and removes it with --yes. */
export async function cleanCommand(
  location: string | undefined,
  { yes, json, ctx }: { yes: boolean; json: boolean; ctx: CliContext },
): Promise<number> {
  const folder = folderOf(location, ctx, "clean");
  const found = await findLeftovers(folder);
  const removed = yes ? await removeLeftoverFolders(found) : 0;
  const bytes = found.reduce((a, l) => a + l.bytes, 0);
  if (json) {
    ctx.stdout(JSON.stringify({ registry: folder, leftovers: found, bytes, removed }) + "\n");
    return 0;
  }
  if (found.length === 0) {
    ctx.stdout(`${folder}: nothing left over by killed processes\n`);
    return 0;
  }
  const lines = found.map((l) =>
    `  ${l.kind.padEnd(7)} ${formatBytes(l.bytes).padStart(9)}  ${l.path}\n    ${l.fix}`
  );
  ctx.stdout(
    `${folder}: ${found.length} folder(s) left by killed processes, ${formatBytes(bytes)}\n${
      lines.join("\n")
    }\n` +
      (yes ? `removed ${removed}\n` : `run with --yes to remove them\n`),
  );
  return 0;
}
