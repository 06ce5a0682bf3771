/**
 * The shared registry: metadata in PostgreSQL (the npm `pg` client, pure JavaScript), artifacts under a
 * folder every machine mounts at the same path (publishing protocol in sql_registry.ts).
 *
 * Every write transaction first takes a transaction-scoped advisory lock keyed by the schema, so writers
 * of one registry run one at a time on every machine, and the lock dies with the connection of a killed
 * process, whose transaction the server rolls back. The primary key (name, version) backs it up.
 */
import { redactUrl } from "../redact.ts";
import { resolve } from "node:path";
import pg from "pg";
import { describeValue, MmmlError } from "../errors.ts";
import type { Registry } from "./registry_types.ts";
import { createSqlRegistry, type SqlRegistryOptions } from "./sql_registry.ts";
import type { SqlDriver, SqlTx, SqlValue } from "./sql_store.ts";

/** Where the tables live when neither the URL's `?schema=` nor the options name a schema. */
export const DEFAULT_PG_SCHEMA = "public";
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Options of createPostgresRegistry. */
export interface PostgresRegistryOptions extends SqlRegistryOptions {
  /** Folder holding the artifacts, the same path on every machine (config `registry.artifacts`). */
  artifacts?: string;
  /** PostgreSQL schema for the tables; overrides the URL's `?schema=`. */
  schema?: string;
  /** Milliseconds to wait for a connection before failing. */
  connectTimeoutMs?: number;
}

/** `?` placeholders (what sql_store.ts writes) to PostgreSQL's $1, $2, ... */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

function unavailable(location: string, e: unknown): MmmlError {
  return new MmmlError(
    "backend_unavailable",
    `Cannot reach the PostgreSQL registry ${location}: ${(e as Error).message ?? String(e)}`,
    { cause: e },
  );
}

/** True for errors of the connection rather than the statement: no SQLSTATE, or class 08 / 57P. */
function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code) || code.startsWith("08") ||
    code.startsWith("57P");
}

/** A SqlDriver over a pg connection pool whose connections use `schema`. */
export function postgresDriver(url: string, schema: string, connectTimeoutMs = 10_000): SqlDriver {
  const location = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    options: `-c search_path=${schema}`,
    max: 4,
    // A command that forgets close() still exits once its queries are done.
    allowExitOnIdle: true,
  });
  // An idle connection the server drops must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const lockKey = `mmml_registry:${schema}`;
  let opened = false;

  const txOf = (client: pg.PoolClient): SqlTx => ({
    all: async <T>(sql: string, params: SqlValue[] = []) =>
      (await client.query(numbered(sql), params)).rows as T[],
    run: async (sql: string, params: SqlValue[] = []) => {
      await client.query(numbered(sql), params);
    },
  });

  async function transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw unavailable(location, e);
    }
    let broken = false;
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [lockKey]);
      const result = await fn(txOf(client));
      await client.query("COMMIT");
      return result;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw e;
    } finally {
      client.release(broken);
    }
  }

  return {
    location,
    async open() {
      // The schema must exist before search_path can find the tables; creating it races other openers.
      if (!opened) await transaction((tx) => tx.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`));
      opened = true;
      return true;
    },
    async all<T>(sql: string, params: SqlValue[] = []) {
      try {
        return (await pool.query(numbered(sql), params)).rows as T[];
      } catch (e) {
        throw isConnectionError(e) ? unavailable(location, e) : e;
      }
    },
    transaction,
    close: () => pool.end(),
  };
}

/**
 * The registry at a postgres:// URL. The artifacts folder is `artifacts`, else the one recorded by the
 * first machine that opened this registry; `?schema=NAME` in the URL (or `schema`) picks the tables'
 * schema, so one database can hold several registries.
 */
export async function createPostgresRegistry(
  url: string,
  { artifacts, schema, connectTimeoutMs, ...options }: PostgresRegistryOptions = {},
): Promise<Registry> {
  const parsed = new URL(url);
  const chosen = schema ?? parsed.searchParams.get("schema") ?? DEFAULT_PG_SCHEMA;
  parsed.searchParams.delete("schema");
  if (!SCHEMA_PATTERN.test(chosen)) {
    throw new MmmlError(
      "invalid_input",
      `Invalid PostgreSQL schema for the registry: expected lower-case letters, digits and '_' starting ` +
        `with a letter or '_', received ${describeValue(chosen)}`,
    );
  }
  const driver = postgresDriver(parsed.toString(), chosen, connectTimeoutMs);
  try {
    try {
      await driver.open(true);
    } catch (e) {
      throw e instanceof MmmlError ? e : unavailable(driver.location, e);
    }
    const root = await artifactsRoot(driver, artifacts);
    return await createSqlRegistry(driver, root, options);
  } catch (e) {
    await driver.close().catch(() => {});
    throw e;
  }
}

/** `artifacts` when given (recorded for the next opener if none is), else the recorded one. */
async function artifactsRoot(driver: SqlDriver, artifacts: string | undefined): Promise<string> {
  return await driver.transaction(async (tx) => {
    await tx.run(`CREATE TABLE IF NOT EXISTS mmml_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const [row] = await tx.all<{ value: string }>(`SELECT value FROM mmml_settings WHERE key = 'artifacts'`);
    if (artifacts !== undefined) {
      const root = resolve(artifacts);
      if (!row) await tx.run(`INSERT INTO mmml_settings (key, value) VALUES ('artifacts', ?)`, [root]);
      return root;
    }
    if (row) return row.value;
    throw new MmmlError(
      "config_invalid",
      `The PostgreSQL registry ${driver.location} needs a folder for artifacts that every machine sharing ` +
        `it mounts at the same path: set registry.artifacts (--set registry.artifacts=/shared/mmml), ` +
        `received nothing`,
    );
  });
}
