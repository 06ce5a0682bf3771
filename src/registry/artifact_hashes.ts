/**
 * The registry's integrity check: the sha256 of every file of a version folder, recorded when the version
 * is published and checked again before it is loaded, so a changed byte or a truncation is refused
 * naming the file.
 */
import { sha256File } from "../files.ts";
import { isAbsolute, join, normalize, relative, sep } from "node:path";
import { describeValue, MmmlError } from "../errors.ts";
import type { ModelVersion } from "./registry_types.ts";

/** meta.json: the registry's own record in a version folder, left out of the hashes (stages change it). */
export const META_FILE = "meta.json";

/**
 * sha256 of every artifact under `dir` (following symlinks), keyed by "/"-separated relative path;
 * meta.json is left out because it is rewritten when stages or tags change.
 */
export function hashArtifacts(dir: string): Promise<Record<string, string>> {
  return hashTree(dir);
}

/** hashArtifacts of `dir`, with paths under `prefix`. */
export async function hashTree(dir: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = (await Array.fromAsync(Deno.readDir(dir))).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const rel = prefix + entry.name;
    if (rel === META_FILE) continue;
    const path = join(dir, entry.name);
    const info = entry.isSymlink ? await Deno.stat(path) : entry;
    if (info.isDirectory) Object.assign(out, await hashTree(path, rel + "/"));
    else if (info.isFile) out[rel] = await sha256File(path);
  }
  return out;
}

/** The absolute path of artifact `file` of `version`; refuses paths that climb out of its folder. */
function artifactPath(version: ModelVersion, file: string): string {
  const path = normalize(join(version.dir, file));
  const rel = relative(version.dir, path);
  if (isAbsolute(file) || rel === "" || rel.startsWith("..") || rel.split(sep).includes("..")) {
    throw new MmmlError(
      "artifact_corrupt",
      `Artifact path of ${version.meta.name}@${version.meta.version} must stay inside ${version.dir}, ` +
        `received ${describeValue(file)}`,
    );
  }
  return path;
}

/**
 * Re-hashes every file recorded in meta.files; throws MmmlError "artifact_corrupt" naming the first file
 * that is missing or whose sha256 differs. Files not recorded (added after registration) are not checked.
 */
export async function verifyArtifacts(version: ModelVersion): Promise<void> {
  const label = `${version.meta.name}@${version.meta.version}`;
  for (const [file, expected] of Object.entries(version.meta.files).sort(([a], [b]) => a.localeCompare(b))) {
    const path = artifactPath(version, file);
    let actual: string;
    try {
      actual = await sha256File(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      throw new MmmlError(
        "artifact_corrupt",
        `Artifact ${describeValue(file)} of ${label} is missing: ${path}`,
        {
          cause: e,
          details: { file, path },
        },
      );
    }
    if (actual !== expected) {
      throw new MmmlError(
        "artifact_corrupt",
        `Artifact ${describeValue(file)} of ${label} (${path}) has changed since registration: ` +
          `sha256 expected ${expected}, received ${actual}`,
        { details: { file, path } },
      );
    }
  }
}
