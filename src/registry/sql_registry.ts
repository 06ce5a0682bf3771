/**
 * The Registry over a SqlDriver (SQLite or PostgreSQL): metadata rows in the database, artifacts in
 * ROOT/<name>/v<N>/ with the sha256 of every file in the row.
 *
 * Publishing never loses, duplicates or half-shows a version, even under SIGKILL:
 *   1. `write` fills ROOT/<name>/.staging-<uuid>; every file is hashed and fsynced.
 *   2. One write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock per registry) reads
 *      the name's counter N, moves aside any v<K> folder that has no row (only a crashed publish or an
 *      interrupted delete leaves one, and no live writer can own it while we hold the lock), inserts
 *      row N, bumps the counter, writes meta.json and renames staging -> v<N>; then COMMIT.
 * A kill before COMMIT rolls the transaction back: no row, so readers (who only list rows whose folder
 * exists) see nothing, the counter is unchanged, and the orphan v<N> or staging folder is ignored and
 * swept by the next publish of that name. A kill after COMMIT leaves a complete version: its folder was
 * in place before the row became visible. The primary key (name, version) is the last guard against a
 * duplicate. If COMMIT itself fails, whether it happened is unknown, so v<N> stays: either it is a
 * complete version or an orphan the next publish sweeps.
 *
 * One more case, SQLite's in WAL mode: a process killed inside COMMIT, after its commit frame reached the
 * WAL but before it updated the shared index, leaves a commit that the next transactions do not see yet
 * that comes back when the WAL is next recovered (a later open), unless a later commit has overwritten
 * it. Its v<N> folder looks like any orphan. So on such a driver (`seal`), a publish trashes only orphans
 * that were already there at a commit of its own: finding one it has not sealed, it commits a seal (a
 * small write whose frames overwrite the dead commit's, so that commit can no longer come back) and
 * starts again. Without orphans, the usual case, nothing is added.
 */
import { join } from "node:path";
import { describeValue, MmmlError } from "../errors.ts";
import { hashArtifacts, META_FILE, verifyArtifacts } from "./artifact_hashes.ts";
import { validateTag } from "./model_ref.ts";
import { parseModelRef, selectVersion, validateModelName, validateStageName } from "./model_ref.ts";
import type { ModelMeta, ModelVersion, Registry } from "./registry_types.ts";
import {
  advanceCounter,
  deleteVersionRow,
  initializeStore,
  insertVersionRow,
  nextVersion,
  selectVersions,
  type SqlDriver,
  type SqlTx,
  updateLabels,
} from "./sql_store.ts";
import { exists } from "../files.ts";
import {
  makeStaging,
  metaJson,
  mirrorMeta,
  moveToTrash,
  orphanFolders,
  removeLeftovers,
  sweepRegistryFolder,
  syncTree,
  versionMeta,
} from "./version_folders.ts";

/** How many seals a publish commits before giving up (each needs another writer killed meanwhile). */
const MAX_SEALS = 50;

/** A folder's name, inode and mtime: another folder renamed to the same name reads differently. */
async function folderIdentity(path: string): Promise<string> {
  const info = await Deno.stat(path);
  return `${path}@${info.ino}:${info.mtime?.getTime()}`;
}

/** The steps of a publish, for tests that crash a process at each one. */
export type PublishStep = "locked" | "inserted" | "renamed";

/** Options shared by the SQLite and PostgreSQL registries. */
export interface SqlRegistryOptions {
  /** Stamps `created`. */
  clock?: () => Date;
  /** Called inside the publish transaction after each step; crash tests kill the process here. */
  onPublishStep?: (step: PublishStep) => void | Promise<void>;
}

/** Refuses names that would collide with the SQLite file beside the model folders. */
function checkName(name: string): string {
  validateModelName(name);
  if (/^registry\.db/i.test(name)) {
    throw new MmmlError(
      "invalid_input",
      `Invalid model name ${describeValue(name)}: reserved for the database`,
    );
  }
  return name;
}

/** The Registry over `driver`, with artifacts under `root`; opens an existing store at once. */
export async function createSqlRegistry(
  driver: SqlDriver,
  root: string,
  { clock = () => new Date(), onPublishStep }: SqlRegistryOptions = {},
): Promise<Registry> {
  const location = driver.location;
  let ready = false;
  async function ensure(create: boolean): Promise<boolean> {
    if (ready) return true;
    if (!(await driver.open(create))) return false;
    await initializeStore(driver, root);
    await sweepRegistryFolder(root).catch(() => {}); // best effort: a read-only folder is still readable
    ready = true;
    return true;
  }
  try {
    await ensure(false);
  } catch (e) {
    await driver.close().catch(() => {});
    throw e;
  }

  /** Every committed row of `name` (or all), including those whose folder is missing. */
  async function rows(name?: string): Promise<ModelVersion[]> {
    return (await ensure(false)) ? selectVersions(driver, root, location, name) : [];
  }

  /** Readers see committed rows whose folder exists. */
  async function visible(all: ModelVersion[]): Promise<ModelVersion[]> {
    const present = await Promise.all(all.map((v) => exists(v.dir)));
    return all.filter((_, i) => present[i]);
  }

  async function list(name?: string): Promise<ModelVersion[]> {
    return visible(await rows(name === undefined ? undefined : validateModelName(name)));
  }

  /** Runs `fn` on version `version` of `name` and its siblings inside a write transaction. */
  async function change<T>(
    name: string,
    version: number,
    fn: (tx: SqlTx, current: ModelVersion, all: ModelVersion[]) => Promise<T>,
  ): Promise<T> {
    validateModelName(name);
    await ensure(true);
    return driver.transaction(async (tx) => {
      const all = await selectVersions(tx, root, location, name);
      const ref = { name, selector: { kind: "version" as const, version }, text: `${name}@${version}` };
      return fn(tx, selectVersion(ref, all, location), all);
    });
  }

  /** Updates stages or tags; meta.json follows under the same lock, so mirrors keep the commit order. */
  async function relabel(tx: SqlTx, v: ModelVersion, column: "stages" | "tags", labels: string[]) {
    const next = { meta: { ...v.meta, [column]: labels }, dir: v.dir };
    await updateLabels(tx, next.meta, column);
    await mirrorMeta(v.dir, next.meta);
    return next;
  }

  return {
    location,
    list,

    async resolve(ref) {
      const parsed = parseModelRef(ref);
      const all = await rows(parsed.name);
      const shown = await visible(all);
      const sel = parsed.selector;
      const hidden = sel.kind === "version"
        ? all.find((v) => v.meta.version === sel.version && !shown.includes(v))
        : undefined;
      if (hidden) {
        throw new MmmlError(
          "artifact_corrupt",
          `${parsed.name}@${hidden.meta.version} is registered in ${location} but its folder ${hidden.dir} ` +
            `is missing`,
          { details: { ref, path: hidden.dir } },
        );
      }
      if (shown.length === 0) {
        const names = [...new Set((await list()).map((v) => v.meta.name))];
        throw new MmmlError(
          "model_not_found",
          `Model ${describeValue(ref)} not found in ${location}: ` +
            (names.length ? `available models are ${names.join(", ")}` : "the registry holds no models"),
          { details: { ref, location } },
        );
      }
      return selectVersion(parsed, shown, location);
    },

    async register(name, meta, write, { key } = {}) {
      checkName(name);
      await ensure(true);
      const modelDir = join(root, name);
      const { dir: staging, lock } = await makeStaging(modelDir);
      let renamed = false;
      try {
        await write(staging);
        const files = await hashArtifacts(staging);
        await syncTree(staging);
        const created = clock().toISOString();
        // The orphan folders present at this publish's last seal; they can no longer come back.
        let sealed = new Set<string>();
        let full: ModelMeta | null = null;
        for (let attempt = 0; full === null; attempt++) {
          if (attempt >= MAX_SEALS) {
            throw new MmmlError(
              "internal",
              `Could not publish ${name} in ${location}: new orphan version folders kept appearing in ` +
                `${modelDir} (${MAX_SEALS} tries); are publishing processes being killed?`,
            );
          }
          full = await driver.transaction(async (tx) => {
            const version = await nextVersion(tx, name);
            await onPublishStep?.("locked");
            const existing = await selectVersions(tx, root, location, name);
            const already = key === undefined ? undefined : existing.find((v) => v.meta.publish_key === key);
            if (already) return already.meta;
            const orphans = await orphanFolders(modelDir, new Set(existing.map((v) => v.meta.version)));
            if (driver.seal) {
              const seen = await Promise.all(orphans.map((o) => folderIdentity(join(modelDir, o))));
              if (seen.some((o) => !sealed.has(o))) {
                await driver.seal(tx);
                sealed = new Set(seen);
                return null; // commits the seal; the next attempt trashes these orphans
              }
            }
            for (const orphan of orphans) await moveToTrash(join(modelDir, orphan));
            const row = versionMeta(name, version, meta, { created, files, key });
            await insertVersionRow(tx, row);
            await advanceCounter(tx, name, version);
            await onPublishStep?.("inserted");
            await Deno.writeTextFile(join(staging, META_FILE), metaJson(row));
            await Deno.rename(staging, join(modelDir, `v${version}`));
            renamed = true;
            using dir = await Deno.open(modelDir, { read: true });
            await dir.sync();
            await onPublishStep?.("renamed");
            return row;
          });
        }
        // A publish key already taken: the earlier version stands and this staging folder goes.
        if (!renamed) await Deno.remove(staging, { recursive: true }).catch(() => {});
        await removeLeftovers(modelDir);
        return { meta: full, dir: join(modelDir, `v${full.version}`) };
      } catch (e) {
        if (!renamed) await Deno.remove(staging, { recursive: true }).catch(() => {});
        throw e;
      } finally {
        await lock.release();
      }
    },

    async setStages(name, version, stages, { exclusive = false } = {}) {
      const wanted = [...new Set(stages.map(validateStageName))];
      return await change(name, version, async (tx, current, all) => {
        const next = await relabel(tx, current, "stages", wanted);
        for (const other of exclusive ? all : []) {
          const kept = other.meta.stages.filter((s) => !wanted.includes(s));
          if (other.meta.version !== version && kept.length !== other.meta.stages.length) {
            await relabel(tx, other, "stages", kept);
          }
        }
        return next;
      });
    },

    async setTags(name, version, tags) {
      const wanted = [...new Set(tags.map(validateTag))];
      return await change(name, version, (tx, current) => relabel(tx, current, "tags", wanted));
    },

    async delete(name, version) {
      const gone = await change(name, version, async (tx, current) => {
        await deleteVersionRow(tx, name, version);
        return current;
      });
      // No reader looks here any more; if this process dies first, the next publish sweeps the folder.
      if (await moveToTrash(gone.dir)) await removeLeftovers(join(root, name));
    },

    verify: verifyArtifacts,

    close: () => driver.close(),
  };
}
