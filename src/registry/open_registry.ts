/**
 * The one way commands open a registry: a folder path gives the embedded SQLite registry in that folder
 * (importing a folder registry's meta.json versions on first open), a postgres:// URL the shared
 * PostgreSQL one. The PostgreSQL client is imported only for URLs, so local commands never load it.
 */
import type { Registry } from "./registry_types.ts";
import type { SqlRegistryOptions } from "./sql_registry.ts";
import { createSqliteRegistry } from "./sqlite_registry.ts";

/** Options of openRegistry. */
export interface OpenRegistryOptions extends SqlRegistryOptions {
  /**
   * PostgreSQL only: the artifacts folder, the same path on every machine (config `registry.artifacts`).
   * May be left out once any machine has opened the registry with it: the first one records it.
   * A folder registry keeps its artifacts in the folder itself and ignores this.
   */
  artifacts?: string;
  /** PostgreSQL only: the schema of the tables (else the URL's `?schema=`, else "public"). */
  schema?: string;
  /** PostgreSQL only: milliseconds to wait for a connection (default 10 s). */
  connectTimeoutMs?: number;
}

/** True for a postgres:// or postgresql:// URL. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** Opens the registry at `location` (a folder, or a postgres:// URL); call `close()` when done. */
export async function openRegistry(location: string, options: OpenRegistryOptions = {}): Promise<Registry> {
  if (isPostgresUrl(location)) {
    const { createPostgresRegistry } = await import("./postgres_registry.ts");
    return createPostgresRegistry(location, options);
  }
  const { artifacts: _artifacts, schema: _schema, connectTimeoutMs: _timeout, ...sqlite } = options;
  return createSqliteRegistry(location, sqlite);
}
