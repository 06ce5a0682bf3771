/**
 * Shared pieces of the registry tests: sample metadata and artifacts, temp folders, the PostgreSQL test
 * server (MMML_TEST_POSTGRES_URL, default postgres://mmml:mmml@127.0.0.1:5432/mmml_test; .ci/setup_postgres.sh
 * starts it) with one throw-away schema per test, and child processes that register versions.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pg from "pg";
import { MmmlError } from "../src/errors.ts";
import { openRegistry, type OpenRegistryOptions } from "../src/registry/open_registry.ts";
import type { Registry } from "../src/registry/registry_types.ts";

export type RegisterMeta = Parameters<Registry["register"]>[1];

/** Metadata as training would pass it. */
export function sampleMeta(metrics: Record<string, number> = {}): RegisterMeta {
  return {
    task: "tabular",
    arch: "mlp",
    backend: "wasm",
    classes: ["Adelie", "Chinstrap", "Gentoo"],
    metrics,
    timings: { train_s: 1.5 },
    data_fingerprint: "abc",
    input_shape: [7],
  };
}

/** A write callback shaped like the trainer's: JSON files and a nested weights file. */
export function writeArtifacts(tag: string) {
  return async (dir: string) => {
    await Deno.mkdir(join(dir, "model"));
    await Deno.writeTextFile(join(dir, "model", "model.json"), JSON.stringify({ tag }));
    await Deno.writeFile(join(dir, "model", "weights.bin"), new TextEncoder().encode(`weights of ${tag}`));
    await Deno.writeTextFile(join(dir, "schema.json"), JSON.stringify({ columns: ["bill_length_mm"], tag }));
  };
}

/** Runs `fn` with a fresh temp folder, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mmml_registry_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Names in a folder, sorted. */
export async function entries(path: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(path))).map((e) => e.name).sort();
}

/** Asserts that `p` rejects with MmmlError `code` whose message matches `pattern`. */
export async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MmmlError, `expected MmmlError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The PostgreSQL server the tests use. */
export const PG_TEST_URL = Deno.env.get("MMML_TEST_POSTGRES_URL") ??
  "postgres://mmml:mmml@127.0.0.1:5432/mmml_test";

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (e) {
    return `PostgreSQL unreachable at ${PG_TEST_URL} (${(e as Error).message}); ` +
      `run .ci/setup_postgres.sh or set MMML_TEST_POSTGRES_URL`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Why PostgreSQL tests skip, or null when the server answers. */
export const PG_SKIP: string | null = await probePostgres();
if (PG_SKIP) console.error(`registry tests: skipping PostgreSQL cases: ${PG_SKIP}`);

/** A test name that states why it is skipped when PostgreSQL is down. */
export function pgTestName(name: string): string {
  return PG_SKIP ? `${name} (skipped: ${PG_SKIP})` : name;
}

/** Where a test registry lives: a folder (SQLite) or PostgreSQL with its own schema and artifacts. */
export interface TestBackend {
  label: "SQLite" | "PostgreSQL";
  /** `location` and `options` for openRegistry, in this test's temp folder `dir`. */
  place(dir: string): { location: string; options: OpenRegistryOptions; artifacts: string };
  /** Drops what `place` made outside `dir`. */
  cleanup(dir: string): Promise<void>;
}

/** SQLite in DIR/models. */
export const SQLITE_BACKEND: TestBackend = {
  label: "SQLite",
  place: (dir) => ({ location: join(dir, "models"), options: {}, artifacts: join(dir, "models") }),
  cleanup: () => Promise.resolve(),
};

function schemaFor(dir: string): string {
  // The temp folder's random suffix keeps concurrent test files apart in one database.
  return "mmml_t_" + dir.replace(/[^A-Za-z0-9]/g, "").slice(-12).toLowerCase();
}

/** Drops the given PostgreSQL schemas (and everything in them) from the test server. */
export async function dropSchemas(...schemas: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await client.end();
  }
}

/** PostgreSQL with a schema per temp folder and artifacts in DIR/artifacts. */
export const POSTGRES_BACKEND: TestBackend = {
  label: "PostgreSQL",
  place: (dir) => ({
    location: PG_TEST_URL,
    options: { schema: schemaFor(dir), artifacts: join(dir, "artifacts") },
    artifacts: join(dir, "artifacts"),
  }),
  cleanup: (dir) => dropSchemas(schemaFor(dir)),
};

/** Runs `fn` with a registry of `backend` in a fresh temp folder; closes and drops it afterwards. */
export async function withRegistry(
  backend: TestBackend,
  fn: (reg: Registry, place: ReturnType<TestBackend["place"]>, dir: string) => Promise<void>,
  extra: OpenRegistryOptions = {},
): Promise<void> {
  await withTempDir(async (dir) => {
    const place = backend.place(dir);
    const reg = await openRegistry(place.location, { ...place.options, ...extra });
    try {
      await fn(reg, place, dir);
    } finally {
      await reg.close();
      await backend.cleanup(dir);
    }
  });
}

const OPEN_REGISTRY_URL = new URL("../src/registry/open_registry.ts", import.meta.url).href;
/** The project's deno.json, so children resolve npm:pg from the same node_modules. */
const DENO_CONFIG = new URL("../deno.json", import.meta.url).pathname;

/**
 * A child that opens the registry, signals "ready" on stdout, waits for BARRIER/go (if given), then
 * registers `count` versions (forever when count is 0), printing each version number once published.
 * With `crashAt`, it SIGKILLs itself at that publish step of its first registration. With `shmCopy`
 * (SQLite), it copies the WAL index to that file just before COMMIT and SIGKILLs itself once the publish
 * returns, so a test can put the index back as it was and stage a commit cut short inside COMMIT.
 */
const CHILD_SOURCE = `
import { openRegistry } from ${JSON.stringify(OPEN_REGISTRY_URL)};
const { location, options, id, count, barrier, crashAt, shmCopy } = JSON.parse(Deno.args[0]);
const reg = await openRegistry(location, {
  ...options,
  onPublishStep: (step) => {
    if (step === crashAt) Deno.kill(Deno.pid, "SIGKILL");
    if (step === "renamed" && shmCopy) Deno.copyFileSync(location + "/registry.db-shm", shmCopy);
  },
});
console.log("ready");
if (barrier) {
  while (true) {
    try { await Deno.stat(barrier + "/go"); break; } catch { await new Promise((r) => setTimeout(r, 2)); }
  }
}
for (let j = 0; count === 0 || j < count; j++) {
  const tag = id + "-" + j;
  const v = await reg.register("penguins", ${
  JSON.stringify(sampleMeta({ "val.macro_f1": 0.5 }))
}, async (dir) => {
    await Deno.mkdir(dir + "/model");
    await Deno.writeTextFile(dir + "/model/model.json", JSON.stringify({ tag }));
    await Deno.writeFile(dir + "/model/weights.bin", new Uint8Array(4096).fill(j % 251));
    await Deno.writeTextFile(dir + "/schema.json", JSON.stringify({ tag }));
  });
  console.log(v.meta.version);
  if (shmCopy) Deno.kill(Deno.pid, "SIGKILL");
}
await reg.close();
`;

/** Arguments of one registering child. */
export interface ChildArgs {
  location: string;
  options: OpenRegistryOptions;
  id: string;
  count: number;
  barrier?: string;
  crashAt?: string;
  shmCopy?: string;
}

/** Writes the child script into `dir` and returns a function that spawns one child. */
export async function childSpawner(dir: string): Promise<(args: ChildArgs) => Deno.ChildProcess> {
  const script = join(dir, "register_child.ts");
  await Deno.writeTextFile(script, CHILD_SOURCE);
  return (args) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        // Only the PostgreSQL client needs the project's npm packages; SQLite children start faster bare.
        ...(args.location.startsWith("postgres") ? ["--config", DENO_CONFIG] : ["--no-config"]),
        "--no-lock",
        "--allow-read",
        "--allow-write",
        "--allow-net",
        "--allow-env",
        "--allow-sys",
        script,
        JSON.stringify(args),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
}

/** A child's stdout as lines: `ready` resolves at its "ready" line, `done` with every line and its status. */
export function watchChild(child: Deno.ChildProcess): {
  ready: Promise<void>;
  done: Promise<{ lines: string[]; status: Deno.CommandStatus; stderr: string }>;
} {
  const { promise: ready, resolve: signal } = Promise.withResolvers<void>();
  const lines: string[] = [];
  const stdout = (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        if (line === "ready") signal();
        else lines.push(line);
      }
    }
    if (rest) lines.push(rest);
  })();
  const stderr = new Response(child.stderr).text();
  const done = (async () => {
    const [status, err] = await Promise.all([child.status, stderr, stdout]);
    signal(); // a child that died before "ready" must not hang the test
    return { lines, status, stderr: err };
  })();
  return { ready, done };
}
