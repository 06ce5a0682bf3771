/**
 * The embedded registry: metadata in FOLDER/registry.db through Deno's built-in `node:sqlite`, artifacts
 * in FOLDER/<name>/v<N>/ (publishing protocol in sql_registry.ts).
 *
 * WAL mode lets readers (a server) read committed rows while a training commits. Writers serialize on
 * BEGIN IMMEDIATE, which takes the database's write lock up front, so two processes can never both read
 * the same next version number; SQLite releases the lock of a killed process and rolls its transaction
 * back. Reads go through a second connection, which sees only committed rows even while this process
 * has a write transaction open.
 *
 * WAL has one hazard for the publishing protocol: a writer killed inside COMMIT, between appending its
 * commit frame and updating the shared index, leaves a commit that later transactions do not see but
 * that recovery brings back, unless a later commit overwrote it. The driver's `seal` is how
 * sql_registry.ts rules that out before it trashes an orphan folder.
 */
import { DatabaseSync } from "node:sqlite";
import { join, resolve } from "node:path";
import { MmmlError } from "../errors.ts";
import { createSqlRegistry, type SqlRegistryOptions } from "./sql_registry.ts";
import { MARKER_FILE, type SqlDriver, type SqlTx, type SqlValue } from "./sql_store.ts";
import type { Registry } from "./registry_types.ts";

/** The database file inside a registry folder. */
export const SQLITE_FILE = "registry.db";
/** How long a writer waits for another process's write transaction before giving up. */
const BUSY_TIMEOUT_MS = 60_000;

/** Runs a synchronous statement so that its failure rejects, as a PostgreSQL one does, instead of throwing. */
function settle<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e);
  }
}

/** node:sqlite reports SQLITE_BUSY only in the message ("database is locked"). */
function isBusy(e: unknown): boolean {
  return /database (table )?is locked|SQLITE_BUSY/i.test((e as Error)?.message ?? "");
}

async function connect(path: string): Promise<DatabaseSync> {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // Switching a new database to WAL needs an exclusive lock and fails at once, without the busy handler,
  // while another process is opening it too; on a database already in WAL it is a no-op.
  for (let attempt = 0;; attempt++) {
    try {
      db.exec("PRAGMA journal_mode = WAL");
      break;
    } catch (e) {
      if (!isBusy(e) || attempt >= 200) {
        db.close();
        throw e;
      }
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
  }
  // FULL syncs the WAL on every commit: a committed version survives a power cut, not only a SIGKILL.
  db.exec("PRAGMA synchronous = FULL");
  return db;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** SQLite's words for a file that is not (or no longer) a database. */
function isCorrupt(e: unknown): boolean {
  return /not a database|malformed|SQLITE_NOTADB|SQLITE_CORRUPT|file is encrypted/i.test(
    (e as Error)?.message ?? "",
  );
}

/** The error for a registry.db that cannot be read, with the way back: the versions carry their metadata. */
export function corruptDatabase(folder: string, path: string, why: string): MmmlError {
  return new MmmlError(
    "artifact_corrupt",
    `${path} is not a readable registry database (${why}). Every version folder keeps its own meta.json, ` +
      `so the index can be rebuilt from them: mmml registry rebuild --registry ${folder}`,
    { details: { file: path } },
  );
}

/**
 * A zero-byte registry.db in a folder whose marker says a registry was set up there is a lost database,
 * not a new one: re-creating it would give the registry a new id and lock its own versions out.
 */
async function refuseLostDatabase(folder: string, path: string): Promise<void> {
  // The marker first: it is written after the database has its header, so a database still empty after
  // it is lost, while one that another process is creating (empty for a moment) comes with no marker yet.
  const marked = await Deno.stat(join(folder, MARKER_FILE)).then(() => true, () => false);
  if (!marked) return;
  const info = await Deno.stat(path).catch(() => null);
  if (info && info.size === 0) throw corruptDatabase(folder, path, "it is empty (0 bytes)");
}

/** A SqlDriver over FOLDER/registry.db; the file is created on the first write, or a read of a folder. */
export function sqliteDriver(folder: string): SqlDriver {
  const path = join(folder, SQLITE_FILE);
  let writer: DatabaseSync | null = null;
  let reader: DatabaseSync | null = null;
  // One write transaction at a time inside this process; other processes wait on SQLite's lock.
  let queue: Promise<unknown> = Promise.resolve();
  let opening: Promise<unknown> = Promise.resolve();

  const bind = (params: SqlValue[]) => params as (string | number | null)[];
  const txOf = (db: DatabaseSync): SqlTx => ({
    all: <T>(sql: string, params: SqlValue[] = []) =>
      settle(() => db.prepare(sql).all(...bind(params)) as T[]),
    run: (sql: string, params: SqlValue[] = []) => settle(() => void db.prepare(sql).run(...bind(params))),
  });
  async function openOnce(create: boolean): Promise<boolean> {
    // A read of a folder that does not exist must not create it (a mistyped --registry).
    if (!create && !(await isFolder(folder))) return false;
    await Deno.mkdir(folder, { recursive: true });
    await refuseLostDatabase(folder, path);
    try {
      writer = await connect(path);
      reader = await connect(path);
      reader.prepare("SELECT count(*) FROM sqlite_master").get();
    } catch (e) {
      writer?.close();
      reader?.close();
      writer = reader = null;
      if (isCorrupt(e)) throw corruptDatabase(folder, path, (e as Error).message);
      throw e;
    }
    return true;
  }

  return {
    location: path,

    open(create) {
      // Opens wait for each other: concurrent first writes of one registry get one pair of connections.
      const next = opening.catch(() => {}).then(() => writer ? true : openOnce(create));
      opening = next;
      return next;
    },

    all<T>(sql: string, params: SqlValue[] = []) {
      if (!reader) return Promise.reject(new Error(`${path} is not open`));
      return txOf(reader).all<T>(sql, params);
    },

    transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      const run = async () => {
        const db = writer;
        if (!db) throw new Error(`${path} is not open`);
        db.exec("BEGIN IMMEDIATE");
        try {
          const result = await fn(txOf(db));
          db.exec("COMMIT");
          return result;
        } catch (e) {
          if (db.isTransaction) db.exec("ROLLBACK");
          throw e;
        }
      };
      const result = queue.then(run, run);
      queue = result.catch(() => {});
      return result;
    },

    // A changed row, so that COMMIT appends frames: they start where the shared index ends, over any a
    // process killed inside its COMMIT left after it (SQLite would otherwise recover them on a later open).
    seal: (tx) =>
      tx.run(
        `INSERT INTO mmml_settings (key, value) VALUES ('seals', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
      ),

    close() {
      writer?.close();
      reader?.close();
      writer = reader = null;
      return Promise.resolve();
    },
  };
}

/** The registry in `folder`: SQLite metadata beside per-version artifact folders. */
export function createSqliteRegistry(folder: string, options: SqlRegistryOptions = {}): Promise<Registry> {
  const root = resolve(folder);
  return createSqlRegistry(sqliteDriver(root), root, options);
}
