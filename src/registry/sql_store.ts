/**
 * The SQL side of the database-backed registries: the driver seam SQLite and PostgreSQL implement, the
 * tables, their one-time creation (with the import of a folder registry's versions), and rows <-> ModelMeta.
 * Statements use `?` placeholders, TEXT and INTEGER only, and ON CONFLICT, which both databases speak.
 */
import { join } from "node:path";
import { describeValue, MmmlError } from "../errors.ts";
import { createFileRegistry } from "./file_registry.ts";
import type { ModelMeta, ModelVersion } from "./registry_types.ts";
import { dirEntries, highestVersionFolder } from "./version_folders.ts";

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | null;

/** Statements inside one write transaction. */
export interface SqlTx {
  all<T>(sql: string, params?: SqlValue[]): Promise<T[]>;
  run(sql: string, params?: SqlValue[]): Promise<void>;
}

/** What the registry needs from a database. */
export interface SqlDriver {
  /** Where the metadata lives, for messages (no password). */
  readonly location: string;
  /** False when the store does not exist yet and `create` is false (a read of a registry never written). */
  open(create: boolean): Promise<boolean>;
  /** Reads committed rows. */
  all<T>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** Runs `fn` serialized against every other writer of this registry; commits when it resolves. */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /**
   * Present where a commit cut short by its process's death can stay unseen by the next transactions and
   * still surface later (SQLite in WAL mode). Writes inside `tx`, so that its commit overwrites what such
   * a commit left behind; see sql_registry.ts.
   */
  seal?(tx: SqlTx): Promise<void>;
  close(): Promise<void>;
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
/** The file naming the registry that owns an artifacts folder. */
export const MARKER_FILE = ".mmml-registry";
const COLUMNS = "name, version, meta, stages, tags, dir";

interface VersionRow {
  name: string;
  version: number;
  meta: string;
  stages: string;
  tags: string;
  dir: string;
}

/** Creates the tables (once, importing a folder registry's versions) and claims the artifacts folder. */
export async function initializeStore(driver: SqlDriver, root: string): Promise<void> {
  const current = await driver.all<{ key: string; value: string }>(
    `SELECT key, value FROM mmml_settings`,
  ).catch(() => []);
  const ready = current.filter((s) => s.key === "schema_version");
  const knownId = current.find((s) => s.key === "registry_id")?.value;
  if (ready[0]?.value === SCHEMA_VERSION && knownId !== undefined) {
    // Already initialised: no write transaction. SQLite's BEGIN IMMEDIATE blocks the whole thread while
    // it waits, so a second registry opened in the same process while another holds a write
    // transaction would stall until the busy timeout.
    await claimArtifactsFolder(root, knownId, driver.location);
    return;
  }
  const id = await driver.transaction(async (tx) => {
    if (ready.length === 0) {
      for (const ddl of DDL) await tx.run(ddl);
    }
    const settings = await tx.all<{ key: string; value: string }>(`SELECT key, value FROM mmml_settings`);
    const get = (key: string) => settings.find((s) => s.key === key)?.value;
    const schema = get("schema_version");
    if (schema !== undefined && schema !== SCHEMA_VERSION) {
      throw new MmmlError(
        "unsupported",
        `Registry ${driver.location} has schema_version ${describeValue(schema)}; this mmml reads ` +
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
    return id;
  });
  // Only a committed id goes into the marker: a process killed before COMMIT would otherwise leave a
  // marker naming an id that no database holds, and lock everyone out.
  await claimArtifactsFolder(root, id, driver.location);
}

/**
 * Two registries sharing one artifacts folder would sweep each other's versions as orphans, so the
 * folder names the registry that owns it.
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

/** Copies the meta.json of every version of a folder registry into rows (once, on a new database). */
async function importFolderRegistry(tx: SqlTx, root: string): Promise<void> {
  for (const v of await createFileRegistry(root).list()) await insertVersionRow(tx, v.meta);
  // The counter starts above every v<N> folder, published or stray, as the folder registry's did.
  for (const entry of await dirEntries(root)) {
    if (!entry.isDirectory || entry.name.startsWith(".")) continue;
    const max = await highestVersionFolder(join(root, entry.name));
    if (max > 0) {
      await tx.run(`INSERT INTO mmml_models (name, next_version) VALUES (?, ?)`, [entry.name, max + 1]);
    }
  }
}

/** Inserts the row of a version whose folder is ROOT/<name>/v<version>. */
export async function insertVersionRow(tx: SqlTx, meta: ModelMeta): Promise<void> {
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
      `${meta.name}/v${meta.version}`,
    ],
  );
}

function decodeRow(row: VersionRow, root: string, location: string): ModelVersion {
  try {
    const meta: ModelMeta = Object.assign({ name: row.name, version: row.version }, JSON.parse(row.meta), {
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

/**
 * The versions of `name` (or of every model) in `db` (the driver for committed rows, or a transaction),
 * ordered by name then version, with folders under `root`.
 */
export async function selectVersions(
  db: Pick<SqlTx, "all">,
  root: string,
  location: string,
  name?: string,
): Promise<ModelVersion[]> {
  const rows = name === undefined
    ? await db.all<VersionRow>(`SELECT ${COLUMNS} FROM mmml_versions`)
    : await db.all<VersionRow>(`SELECT ${COLUMNS} FROM mmml_versions WHERE name = ?`, [name]);
  // Sorted here, not in SQL: PostgreSQL's collation would order names differently from SQLite's.
  return rows.map((r) => decodeRow(r, root, location)).sort((a, b) =>
    a.meta.name < b.meta.name ? -1 : a.meta.name > b.meta.name ? 1 : a.meta.version - b.meta.version
  );
}

/** Takes the next number of `name` (creating its counter) inside the write transaction. */
export async function nextVersion(tx: SqlTx, name: string): Promise<number> {
  await tx.run(`INSERT INTO mmml_models (name, next_version) VALUES (?, 1) ON CONFLICT (name) DO NOTHING`, [
    name,
  ]);
  const [{ next_version }] = await tx.all<{ next_version: number }>(
    `SELECT next_version FROM mmml_models WHERE name = ?`,
    [name],
  );
  return Number(next_version);
}

/** Moves the counter of `name` past `version`. */
export async function advanceCounter(tx: SqlTx, name: string, version: number): Promise<void> {
  await tx.run(`UPDATE mmml_models SET next_version = ? WHERE name = ?`, [version + 1, name]);
}

/** Replaces the stages or tags of one version row. */
export async function updateLabels(tx: SqlTx, meta: ModelMeta, column: "stages" | "tags"): Promise<void> {
  await tx.run(`UPDATE mmml_versions SET ${column} = ? WHERE name = ? AND version = ?`, [
    JSON.stringify(meta[column]),
    meta.name,
    meta.version,
  ]);
}

/** Deletes one version row. */
export async function deleteVersionRow(tx: SqlTx, name: string, version: number): Promise<void> {
  await tx.run(`DELETE FROM mmml_versions WHERE name = ? AND version = ?`, [name, version]);
}
