/**
 * The registry over a SQL database: metadata rows in SQLite or PostgreSQL (a `SqlDriver` each), artifacts
 * in per-version folders ROOT/<name>/v<N>/ (the folder registry's layout, so old registries import in
 * place) with the sha256 of every file in the row.
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
 */
import { join } from "node:path";
import { describeValue, MmmlError } from "../errors.ts";
import { createFileRegistry, hashArtifacts, validateTag, verifyArtifacts } from "./file_registry.ts";
import { parseModelRef, selectVersion, validateModelName, validateStageName } from "./model_ref.ts";
import type { ModelMeta, ModelVersion, Registry } from "./registry_types.ts";

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | null;

/** Statements inside one write transaction. */
export interface SqlTx {
  all<T>(sql: string, params?: SqlValue[]): Promise<T[]>;
  run(sql: string, params?: SqlValue[]): Promise<void>;
}

/** What sql_store needs from a database: `?` placeholders, TEXT and INTEGER columns. */
export interface SqlDriver {
  /** Where the metadata lives, for messages (no password). */
  readonly location: string;
  /** False when the store does not exist yet and `create` is false (a read of a registry never written). */
  open(create: boolean): Promise<boolean>;
  /** Reads committed rows. */
  all<T>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** Runs `fn` serialized against every other writer of this registry; commits when it resolves. */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
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

const SCHEMA_VERSION = "1";
const DDL = [
  `CREATE TABLE IF NOT EXISTS mmml_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  // next_version only grows, in the transaction that inserts the row, so a number is never reused.
  `CREATE TABLE IF NOT EXISTS mmml_models (name TEXT PRIMARY KEY, next_version INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS mmml_versions (
     name TEXT NOT NULL, version INTEGER NOT NULL, created TEXT NOT NULL, task TEXT NOT NULL,
     meta TEXT NOT NULL, stages TEXT NOT NULL, tags TEXT NOT NULL, dir TEXT NOT NULL,
     PRIMARY KEY (name, version))`,
];
const MARKER_FILE = ".mmml-registry";
const VERSION_DIR = /^v([1-9][0-9]*)$/;
/** A staging folder untouched this long belongs to a dead writer (training writes it in seconds). */
const STALE_STAGING_MS = 24 * 3600_000;
const ROW_COLUMNS = "name, version, meta, stages, tags, dir";

interface VersionRow {
  name: string;
  version: number;
  meta: string;
  stages: string;
  tags: string;
  dir: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    throw e;
  }
}

async function dirEntries(path: string): Promise<Deno.DirEntry[]> {
  try {
    return await Array.fromAsync(Deno.readDir(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** fsyncs every file under `dir` and the folders themselves, so a committed row never outlives its bytes. */
async function syncTree(dir: string): Promise<void> {
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

/** Renames `path` to a .trash-<uuid> sibling (instant, invisible) and returns it; null if already gone. */
async function moveToTrash(path: string, parent: string): Promise<string | null> {
  const trash = join(parent, `.trash-${crypto.randomUUID()}`);
  try {
    await Deno.rename(path, trash);
    return trash;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

function metaJson(meta: ModelMeta): string {
  return JSON.stringify(meta, null, 2) + "\n";
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

/** Creates the tables (once), imports a folder registry's versions, and checks the artifacts marker. */
async function initialize(driver: SqlDriver, root: string): Promise<void> {
  const ready = await driver.all<{ value: string }>(
    `SELECT value FROM mmml_settings WHERE key = 'schema_version'`,
  ).catch(() => []);
  await driver.transaction(async (tx) => {
    if (ready.length === 0) {
      for (const ddl of DDL) await tx.run(ddl);
    }
    const settings = await tx.all<{ key: string; value: string }>(`SELECT key, value FROM mmml_settings`);
    const get = (key: string) => settings.find((s) => s.key === key)?.value;
    const schema = get("schema_version");
    if (schema !== undefined && schema !== SCHEMA_VERSION) {
      throw new MmmlError(
        "unsupported",
        `Registry ${driver.location} has schema version ${describeValue(schema)}; this mmml reads ` +
          `${SCHEMA_VERSION}`,
      );
    }
    if (schema === undefined) {
      await importFolderRegistry(tx, root);
      await tx.run(`INSERT INTO mmml_settings (key, value) VALUES ('schema_version', ?)`, [SCHEMA_VERSION]);
    }
    let id = get("registry_id");
    if (id === undefined) {
      id = crypto.randomUUID();
      await tx.run(`INSERT INTO mmml_settings (key, value) VALUES ('registry_id', ?)`, [id]);
    }
    await claimArtifactsFolder(root, id, driver.location);
  });
}

/**
 * Two registries sharing one artifacts folder would sweep each other's versions as orphans, so the folder
 * names the registry that owns it.
 */
async function claimArtifactsFolder(root: string, id: string, location: string): Promise<void> {
  const marker = join(root, MARKER_FILE);
  let owner: string | null = null;
  try {
    owner = JSON.parse(await Deno.readTextFile(marker)).registry_id ?? null;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound || e instanceof SyntaxError)) throw e;
  }
  if (owner === id) return;
  if (owner !== null) {
    throw new MmmlError(
      "config_invalid",
      `Artifacts folder ${root} belongs to another registry: ${marker} names registry_id ${owner}, ` +
        `${location} has ${id}. Give each registry its own artifacts folder (delete the marker only if ` +
        `the other registry is gone)`,
    );
  }
  await Deno.mkdir(root, { recursive: true });
  const tmp = `${marker}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, JSON.stringify({ registry_id: id }) + "\n");
  await Deno.rename(tmp, marker);
}

/** Copies the meta.json of every version of a folder registry into rows (run once, on a new database). */
async function importFolderRegistry(tx: SqlTx, root: string): Promise<void> {
  const versions = await createFileRegistry(root).list();
  for (const v of versions) await insertRow(tx, v.meta, `${v.meta.name}/v${v.meta.version}`);
  // The counter starts above every v<N> folder, published or stray, as the folder registry's did.
  for (const entry of await dirEntries(root)) {
    if (!entry.isDirectory || entry.name.startsWith(".")) continue;
    let max = 0;
    for (const sub of await dirEntries(join(root, entry.name))) {
      const m = VERSION_DIR.exec(sub.name);
      if (m) max = Math.max(max, Number(m[1]));
    }
    if (max > 0) {
      await tx.run(`INSERT INTO mmml_models (name, next_version) VALUES (?, ?)`, [entry.name, max + 1]);
    }
  }
}

async function insertRow(tx: SqlTx, meta: ModelMeta, dir: string): Promise<void> {
  const { stages, tags, ...rest } = meta;
  await tx.run(
    `INSERT INTO mmml_versions (name, version, created, task, meta, stages, tags, dir)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      meta.name,
      meta.version,
      meta.created,
      meta.task,
      JSON.stringify(rest),
      JSON.stringify(stages),
      JSON.stringify(tags),
      dir,
    ],
  );
}

function decodeRow(row: VersionRow, root: string, location: string): ModelVersion {
  try {
    const rest = JSON.parse(row.meta);
    const meta: ModelMeta = Object.assign({ name: row.name, version: row.version }, rest, {
      name: row.name,
      version: Number(row.version),
      stages: JSON.parse(row.stages),
      tags: JSON.parse(row.tags),
    });
    return { meta, dir: join(root, ...row.dir.split("/")) };
  } catch (e) {
    throw new MmmlError(
      "artifact_corrupt",
      `Row ${row.name}@${row.version} of ${location} is not valid JSON: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

const byNameThenVersion = (a: ModelVersion, b: ModelVersion) =>
  a.meta.name < b.meta.name ? -1 : a.meta.name > b.meta.name ? 1 : a.meta.version - b.meta.version;

/** The Registry over `driver`, with artifacts under `root`. */
export async function createSqlRegistry(
  driver: SqlDriver,
  root: string,
  { clock = () => new Date(), onPublishStep }: SqlRegistryOptions = {},
): Promise<Registry> {
  let ready = false;
  async function ensure(create: boolean): Promise<boolean> {
    if (ready) return true;
    if (!(await driver.open(create))) return false;
    await initialize(driver, root);
    ready = true;
    return true;
  }
  if (await driver.open(false)) await ensure(false);

  /** Every committed row of `name` (or all), including those whose folder is missing. */
  async function rows(name?: string): Promise<ModelVersion[]> {
    if (!(await ensure(false))) return [];
    const found = name === undefined
      ? await driver.all<VersionRow>(`SELECT ${ROW_COLUMNS} FROM mmml_versions`)
      : await driver.all<VersionRow>(`SELECT ${ROW_COLUMNS} FROM mmml_versions WHERE name = ?`, [name]);
    return found.map((r) => decodeRow(r, root, driver.location)).sort(byNameThenVersion);
  }

  /** Readers see committed rows whose folder exists. */
  async function visible(all: ModelVersion[]): Promise<ModelVersion[]> {
    const present = await Promise.all(all.map((v) => exists(v.dir)));
    return all.filter((_, i) => present[i]);
  }

  /** Version `version` of `name` and all its siblings, read inside the write transaction. */
  async function one(tx: SqlTx, name: string, version: number) {
    const found = await tx.all<VersionRow>(`SELECT ${ROW_COLUMNS} FROM mmml_versions WHERE name = ?`, [name]);
    const all = found.map((r) => decodeRow(r, root, driver.location));
    const current = selectVersion(
      { name, selector: { kind: "version", version }, text: `${name}@${version}` },
      all,
      driver.location,
    );
    return { current, all };
  }

  async function update(tx: SqlTx, v: ModelVersion, column: "stages" | "tags"): Promise<void> {
    await tx.run(`UPDATE mmml_versions SET ${column} = ? WHERE name = ? AND version = ?`, [
      JSON.stringify(v.meta[column]),
      v.meta.name,
      v.meta.version,
    ]);
    // meta.json mirrors the row for folder-registry readers; written under the lock so mirrors keep
    // the order of commits. The row stays the truth if the process dies before COMMIT.
    try {
      const tmp = join(v.dir, `.meta.json.tmp-${crypto.randomUUID()}`);
      await Deno.writeTextFile(tmp, metaJson(v.meta));
      await Deno.rename(tmp, join(v.dir, "meta.json"));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }

  /** Removes trash and stale staging folders of one model; best effort, outside the transaction. */
  async function tidy(modelDir: string, trash: string[]): Promise<void> {
    const now = Date.now();
    for (const entry of await dirEntries(modelDir)) {
      const path = join(modelDir, entry.name);
      if (entry.name.startsWith(".trash-")) trash.push(path);
      else if (entry.name.startsWith(".staging-")) {
        const mtime = (await Deno.stat(path).catch(() => null))?.mtime?.getTime() ?? now;
        if (now - mtime > STALE_STAGING_MS) trash.push(path);
      }
    }
    for (const path of new Set(trash)) await Deno.remove(path, { recursive: true }).catch(() => {});
  }

  async function list(name?: string): Promise<ModelVersion[]> {
    return visible(await rows(name === undefined ? undefined : validateModelName(name)));
  }

  return {
    location: driver.location,
    list,

    async resolve(ref) {
      const parsed = parseModelRef(ref);
      const all = await rows(parsed.name);
      const shown = await visible(all);
      const sel = parsed.selector;
      if (sel.kind === "version") {
        const hidden = all.find((v) => v.meta.version === sel.version && !shown.includes(v));
        if (hidden) {
          throw new MmmlError(
            "artifact_corrupt",
            `${parsed.name}@${sel.version} is registered in ${driver.location} but its folder ` +
              `${hidden.dir} is missing`,
            { details: { ref, path: hidden.dir } },
          );
        }
      }
      if (shown.length === 0) {
        const names = [...new Set((await list()).map((v) => v.meta.name))];
        throw new MmmlError(
          "model_not_found",
          `Model ${describeValue(ref)} not found in ${driver.location}: ` +
            (names.length ? `available models are ${names.join(", ")}` : "the registry holds no models"),
          { details: { ref, location: driver.location } },
        );
      }
      return selectVersion(parsed, shown, driver.location);
    },

    async register(name, meta, write) {
      checkName(name);
      await ensure(true);
      const modelDir = join(root, name);
      await Deno.mkdir(modelDir, { recursive: true });
      const staging = join(modelDir, `.staging-${crypto.randomUUID()}`);
      await Deno.mkdir(staging);
      let renamed = false;
      const trash: string[] = [];
      try {
        await write(staging);
        const files = await hashArtifacts(staging);
        await syncTree(staging);
        const created = clock().toISOString();
        const full = await driver.transaction(async (tx) => {
          await tx.run(
            `INSERT INTO mmml_models (name, next_version) VALUES (?, 1) ON CONFLICT (name) DO NOTHING`,
            [
              name,
            ],
          );
          const [{ next_version }] = await tx.all<{ next_version: number }>(
            `SELECT next_version FROM mmml_models WHERE name = ?`,
            [name],
          );
          const version = Number(next_version);
          await onPublishStep?.("locked");
          const taken = new Set(
            (await tx.all<{ version: number }>(`SELECT version FROM mmml_versions WHERE name = ?`, [name]))
              .map((r) => Number(r.version)),
          );
          // Holding the lock, a v<K> folder without a row is an orphan no live writer owns.
          for (const entry of await dirEntries(modelDir)) {
            const m = VERSION_DIR.exec(entry.name);
            if (m && !taken.has(Number(m[1]))) {
              const moved = await moveToTrash(join(modelDir, entry.name), modelDir);
              if (moved) trash.push(moved);
            }
          }
          // Object.assign keeps name and version first and lets nothing in `meta` override them.
          const full: ModelMeta = Object.assign({ name, version }, meta, {
            name,
            version,
            created,
            files,
            stages: [],
            tags: [],
          });
          await insertRow(tx, full, `${name}/v${version}`);
          await tx.run(`UPDATE mmml_models SET next_version = ? WHERE name = ?`, [version + 1, name]);
          await onPublishStep?.("inserted");
          await Deno.writeTextFile(join(staging, "meta.json"), metaJson(full));
          await Deno.rename(staging, join(modelDir, `v${version}`));
          renamed = true;
          using dir = await Deno.open(modelDir, { read: true });
          await dir.sync();
          await onPublishStep?.("renamed");
          return full;
        });
        await tidy(modelDir, trash);
        return { meta: full, dir: join(modelDir, `v${full.version}`) };
      } catch (e) {
        if (!renamed) await Deno.remove(staging, { recursive: true }).catch(() => {});
        throw e;
      }
    },

    async setStages(name, version, stages, { exclusive = false } = {}) {
      const wanted = [...new Set(stages.map(validateStageName))];
      validateModelName(name);
      await ensure(true);
      return await driver.transaction(async (tx) => {
        const { current, all } = await one(tx, name, version);
        const next = { meta: { ...current.meta, stages: wanted }, dir: current.dir };
        await update(tx, next, "stages");
        if (exclusive) {
          for (const other of all) {
            if (other.meta.version === version || !other.meta.stages.some((s) => wanted.includes(s))) {
              continue;
            }
            const kept = other.meta.stages.filter((s) => !wanted.includes(s));
            await update(tx, { meta: { ...other.meta, stages: kept }, dir: other.dir }, "stages");
          }
        }
        return next;
      });
    },

    async setTags(name, version, tags) {
      const wanted = [...new Set(tags.map(validateTag))];
      validateModelName(name);
      await ensure(true);
      return await driver.transaction(async (tx) => {
        const { current } = await one(tx, name, version);
        const next = { meta: { ...current.meta, tags: wanted }, dir: current.dir };
        await update(tx, next, "tags");
        return next;
      });
    },

    async delete(name, version) {
      validateModelName(name);
      await ensure(true);
      const gone = await driver.transaction(async (tx) => {
        const { current } = await one(tx, name, version);
        await tx.run(`DELETE FROM mmml_versions WHERE name = ? AND version = ?`, [name, version]);
        return current;
      });
      // The row is gone, so no reader looks here any more; a crash before this is swept by the next publish.
      const moved = await moveToTrash(gone.dir, join(root, name));
      if (moved) await Deno.remove(moved, { recursive: true });
    },

    verify: verifyArtifacts,

    close: () => driver.close(),
  };
}
