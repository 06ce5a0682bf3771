/**
 * The one reader and writer of a version folder's JSON files (names and schemas in version_files.ts).
 * Every reader meets the same errors, each starting with the folder's label and the file's path:
 * - a file that does not parse or breaks its schema is `artifact_corrupt`, naming the field and the value
 *   received (`iris@3: /models/iris/v3/schema.json: classes: expected array, received "abc"`);
 * - a missing file is `artifact_corrupt` in a registered version (its files were hashed when it was
 *   published, so a missing one is damage), and `file_not_found` (exit 2) in a folder the user named
 *   (`--resume-dir`), where it most likely means the wrong folder.
 */
import { writeFileChecked } from "../disk_space.ts";
import { isAbsolute, join, normalize, relative, sep } from "node:path";
import { describeValue, MmmlError } from "../errors.ts";
import { loadModel } from "../models/model_io.ts";
import type { MmmlModel } from "../models/model.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { parseArtifact } from "./parse_artifact.ts";
import {
  type ArtifactInput,
  type ArtifactValue,
  JSON_ARTIFACTS,
  type JsonArtifactName,
} from "./version_files.ts";

/** Where a folder came from: a registered version, or a path the user gave. */
export type FolderOrigin = "registered" | "named";

/** A version folder or a work folder, read and written through the artifact table. */
export interface ArtifactFolder {
  readonly dir: string;
  /** How messages name the folder: `iris@3`, or `work folder /tmp/x`. */
  readonly label: string;
  readonly origin: FolderOrigin;
  /** The absolute path of `file` inside the folder; refuses paths that climb out of it. */
  path(file: string): string;
  /** Reads and checks a JSON artifact. */
  read<K extends JsonArtifactName>(name: K): Promise<ArtifactValue<K>>;
  /** Like read, but undefined when the file is absent (files older versions do not have). */
  readOptional<K extends JsonArtifactName>(name: K): Promise<ArtifactValue<K> | undefined>;
  /** The JSON value as written, unchecked (e.g. a config to show or diff as it was saved). */
  readRaw(name: JsonArtifactName): Promise<unknown>;
  /** Writes a JSON artifact, checked against its schema first so nothing unreadable is published. */
  write<K extends JsonArtifactName>(name: K, value: ArtifactInput<K>): Promise<void>;
  /** Whether `file` exists in the folder. */
  has(file: string): Promise<boolean>;
  /** The tfjs model under model/ (or under `sub`, e.g. a checkpoint), with this folder's errors. */
  readModel(sub?: string): Promise<MmmlModel>;
}

/** The folder of a registered version. */
export function versionFolder(version: ModelVersion): ArtifactFolder {
  return artifactFolder(version.dir, {
    label: `${version.meta.name}@${version.meta.version}`,
    origin: "registered",
  });
}

/** A folder by path: a work folder the user named, or a staging folder a run is filling. */
export function artifactFolder(
  dir: string,
  { label = dir, origin = "named" }: { label?: string; origin?: FolderOrigin } = {},
): ArtifactFolder {
  const missing = (file: string, path: string, cause: unknown) =>
    new MmmlError(
      origin === "registered" ? "artifact_corrupt" : "file_not_found",
      `${label}: ${path} is missing`,
      { cause, details: { file, path } },
    );

  const path = (file: string) => {
    const full = normalize(join(dir, file));
    const rel = relative(dir, full);
    if (isAbsolute(file) || rel === "" || rel.startsWith("..") || rel.split(sep).includes("..")) {
      throw new MmmlError(
        "artifact_corrupt",
        `Artifact path of ${label} must stay inside ${dir}, received ${describeValue(file)}`,
      );
    }
    return full;
  };

  async function readText(name: JsonArtifactName): Promise<{ text: string; file: string } | undefined> {
    const file = JSON_ARTIFACTS[name].file;
    try {
      return { text: await Deno.readTextFile(path(file)), file };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
  }

  function parseJson(text: string, file: string): unknown {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new MmmlError(
        "artifact_corrupt",
        `${label}: ${path(file)} is not valid JSON: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async function readOptional<K extends JsonArtifactName>(name: K): Promise<ArtifactValue<K> | undefined> {
    const found = await readText(name);
    if (!found) return undefined;
    const where = `${label}: ${path(found.file)}`;
    return parseArtifact(
      JSON_ARTIFACTS[name].schema,
      parseJson(found.text, found.file),
      where,
    ) as ArtifactValue<
      K
    >;
  }

  return {
    dir,
    label,
    origin,
    path,
    readOptional,
    async read(name) {
      const value = await readOptional(name);
      if (value === undefined) {
        const file = JSON_ARTIFACTS[name].file;
        throw missing(file, path(file), undefined);
      }
      return value;
    },
    async readRaw(name) {
      const found = await readText(name);
      if (!found) throw missing(JSON_ARTIFACTS[name].file, path(JSON_ARTIFACTS[name].file), undefined);
      return parseJson(found.text, found.file);
    },
    async write(name, value) {
      const { file, schema, layout } = JSON_ARTIFACTS[name];
      const checked = schema.safeParse(value);
      if (!checked.success) {
        // A bug in the writer, not bad input: say which file and field before anything is published.
        throw new TypeError(
          `${file}: ${checked.error.issues[0].path.join(".")}: ${checked.error.issues[0].message}`,
        );
      }
      const text = layout === "line" ? JSON.stringify(value) : JSON.stringify(value, null, 2);
      await writeFileChecked(path(file), text + "\n");
    },
    async has(file) {
      try {
        await Deno.stat(path(file));
        return true;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
    },
    async readModel(sub = ".") {
      const where = sub === "." ? dir : path(sub);
      try {
        return await loadModel(where);
      } catch (err) {
        if (err instanceof MmmlError && err.code === "file_not_found" && origin === "registered") {
          throw new MmmlError("artifact_corrupt", `${label}: ${err.message}`, { cause: err });
        }
        throw err;
      }
    },
  };
}
