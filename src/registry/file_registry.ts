/**
 * The folder registry (no database; issue 2's): ROOT/<name>/v<N>/ holds one version's artifacts and
 * meta.json. Commands open registries through open_registry.ts (SQLite or PostgreSQL metadata, the same
 * folder layout, version_folders.ts); this one stays to read registries made before them (the SQLite
 * registry imports its versions on first open, and doctor lists it) and as a light registry for tests.
 *
 * Publishing is a rename: a version is filled in a private ROOT/<name>/.staging-<uuid> folder on the same
 * file system and renamed to v<N>. rename(2) onto an existing non-empty folder fails with ENOTEMPTY on
 * Linux (checked under Deno 2.9), so two writers racing for the same N cannot both win: the loser takes
 * the next number. Readers only ever see complete versions.
 */
import { join, resolve } from "node:path";
import { describeValue, MmmlError } from "../errors.ts";
import { hashTree, META_FILE, verifyArtifacts } from "./artifact_hashes.ts";
import {
  MODEL_NAME_PATTERN,
  parseModelRef,
  selectVersion,
  validateModelName,
  validateStageName,
  validateTag,
} from "./model_ref.ts";
import type { ModelMeta, ModelVersion, Registry } from "./registry_types.ts";
import { makeStaging, metaJson, VERSION_DIR, versionMeta } from "./version_folders.ts";

/** A bound on lost races in one registration; each loss means another writer published meanwhile. */
const MAX_PUBLISH_ATTEMPTS = 1000;

/**
 * The folder registry (no database): still what tests and old registries use; commands open registries
 * through openRegistry (open_registry.ts), which keeps metadata in SQLite or PostgreSQL.
 */
export type FileRegistry = Registry;

/** Options of createFileRegistry; `clock` stamps `created`. */
export interface FileRegistryOptions {
  clock?: () => Date;
}

async function readDirNames(path: string): Promise<Deno.DirEntry[]> {
  try {
    return await Array.fromAsync(Deno.readDir(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
    throw e;
  }
}

function isTaken(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return e instanceof Deno.errors.AlreadyExists || code === "ENOTEMPTY" || code === "EEXIST";
}

/** Writes a file so that readers see the old or the new content, never a torn one. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  try {
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Reads ROOT/<name>/v<N>/meta.json; null when the folder has none (not a published version). */
async function readVersion(dir: string, name: string, version: number): Promise<ModelVersion | null> {
  const path = join(dir, META_FILE);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw e;
  }
  let meta: ModelMeta;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw new MmmlError("artifact_corrupt", `Cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  const problem = typeof meta !== "object" || meta === null
    ? `expected an object, received ${describeValue(meta)}`
    : meta.name !== name
    ? `name: expected ${describeValue(name)} (the folder's), received ${describeValue(meta.name)}`
    : meta.version !== version
    ? `version: expected ${version} (the folder's), received ${describeValue(meta.version)}`
    : !Array.isArray(meta.stages)
    ? `stages: expected an array, received ${describeValue(meta.stages)}`
    : typeof meta.files !== "object" || meta.files === null
    ? `files: expected an object, received ${describeValue(meta.files)}`
    : null;
  if (problem) throw new MmmlError("artifact_corrupt", `Invalid ${path}: ${problem}`);
  return { meta, dir };
}

/** Creates the registry rooted at `root` (created on first registration). */
export function createFileRegistry(
  root: string,
  { clock = () => new Date() }: FileRegistryOptions = {},
): FileRegistry {
  const base = resolve(root);

  async function listName(name: string): Promise<ModelVersion[]> {
    const modelDir = join(base, name);
    const found = await Promise.all(
      (await readDirNames(modelDir)).map((entry) => {
        const m = VERSION_DIR.exec(entry.name);
        return m && entry.isDirectory ? readVersion(join(modelDir, entry.name), name, Number(m[1])) : null;
      }),
    );
    return found.filter((v): v is ModelVersion => v !== null).sort((a, b) => a.meta.version - b.meta.version);
  }

  async function list(name?: string): Promise<ModelVersion[]> {
    if (name !== undefined) return listName(validateModelName(name));
    const names = (await readDirNames(base))
      .filter((e) => e.isDirectory && MODEL_NAME_PATTERN.test(e.name))
      .map((e) => e.name)
      .sort();
    return (await Promise.all(names.map(listName))).flat();
  }

  /** The first number above every v<N> entry, published or not, so a stray folder is never reused. */
  async function nextFreeVersion(modelDir: string): Promise<number> {
    let max = 0;
    for (const entry of await readDirNames(modelDir)) {
      const m = VERSION_DIR.exec(entry.name);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max + 1;
  }

  return {
    location: base,
    list,

    async register(name, meta, write, { key } = {}) {
      validateModelName(name);
      const already = key === undefined
        ? undefined
        : (await list(name)).find((v) => v.meta.publish_key === key);
      if (already) return already;
      const modelDir = join(base, name);
      await Deno.mkdir(modelDir, { recursive: true });
      const { dir: staging, lock } = await makeStaging(modelDir);
      try {
        await write(staging);
        const files = await hashTree(staging);
        const created = clock().toISOString();
        let version = 0;
        for (let attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
          version = Math.max(version + 1, await nextFreeVersion(modelDir));
          const full = versionMeta(name, version, meta, { created, files, key });
          await Deno.writeTextFile(join(staging, META_FILE), metaJson(full));
          const dir = join(modelDir, `v${version}`);
          try {
            await Deno.rename(staging, dir);
            return { meta: full, dir };
          } catch (e) {
            if (!isTaken(e)) throw e;
          }
        }
        throw new Error(
          `Could not publish ${name} in ${modelDir}: lost ${MAX_PUBLISH_ATTEMPTS} races for a version`,
        );
      } catch (e) {
        await Deno.remove(staging, { recursive: true }).catch(() => {});
        throw e;
      } finally {
        await lock.release();
      }
    },

    async resolve(ref) {
      const parsed = parseModelRef(ref);
      const versions = await listName(parsed.name);
      if (versions.length === 0) {
        const names = [...new Set((await list()).map((v) => v.meta.name))];
        throw new MmmlError(
          "model_not_found",
          `Model ${describeValue(ref)} not found in ${base}: ` +
            (names.length ? `available models are ${names.join(", ")}` : "the registry holds no models"),
          { details: { ref, location: base } },
        );
      }
      return selectVersion(parsed, versions, base);
    },

    async setStages(name, version, stages, { exclusive = false } = {}) {
      const wanted = [...new Set(stages.map(validateStageName))];
      const all = await listName(validateModelName(name));
      const current = selectVersion(
        { name, selector: { kind: "version", version }, text: `${name}@${version}` },
        all,
        base,
      );
      const meta: ModelMeta = { ...current.meta, stages: wanted };
      await writeAtomically(join(current.dir, META_FILE), metaJson(meta));
      if (exclusive) {
        // Not atomic across versions (each meta.json is its own file); the SQL registries do it in one step.
        for (const other of all) {
          if (other.meta.version === version || !other.meta.stages.some((s) => wanted.includes(s))) continue;
          const kept = other.meta.stages.filter((s) => !wanted.includes(s));
          await writeAtomically(join(other.dir, META_FILE), metaJson({ ...other.meta, stages: kept }));
        }
      }
      return { meta, dir: current.dir };
    },

    async setTags(name, version, tags) {
      const current = selectVersion(
        { name, selector: { kind: "version", version }, text: `${name}@${version}` },
        await listName(validateModelName(name)),
        base,
      );
      const meta: ModelMeta = { ...current.meta, tags: [...new Set(tags.map(validateTag))] };
      await writeAtomically(join(current.dir, META_FILE), metaJson(meta));
      return { meta, dir: current.dir };
    },

    async delete(name, version) {
      const current = selectVersion(
        { name, selector: { kind: "version", version }, text: `${name}@${version}` },
        await listName(validateModelName(name)),
        base,
      );
      // meta.json goes first, which unpublishes the version at once; the emptied v<N> folder stays as a
      // tombstone so nextFreeVersion never hands the number out again.
      await Deno.remove(join(current.dir, META_FILE));
      for (const entry of await readDirNames(current.dir)) {
        await Deno.remove(join(current.dir, entry.name), { recursive: true });
      }
    },

    verify: verifyArtifacts,

    close: () => Promise.resolve(),
  };
}
