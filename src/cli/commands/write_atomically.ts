/**
 * Writes an output file the way the registry publishes versions: into a temporary file beside it, then
 * a rename, so a reader (or a crash) never sees half of a predictions file or an ONNX model.
 */
import { writeFileChecked } from "../../disk_space.ts";
import { basename, dirname, join } from "node:path";
import { MmmlError } from "../../errors.ts";

/** Writes `data` to `path` atomically; `flag` names the option that chose the path, for messages. */
export async function writeAtomically(path: string, data: string | Uint8Array, flag: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${crypto.randomUUID()}`);
  try {
    await writeFileChecked(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    if (err instanceof Deno.errors.NotFound) {
      throw new MmmlError("file_not_found", `${flag} ${path}: the folder ${dirname(path)} does not exist`, {
        cause: err,
      });
    }
    if (err instanceof Deno.errors.IsADirectory || (err as { code?: string }).code === "EISDIR") {
      throw new MmmlError("invalid_input", `${flag} ${path}: expected a file path, received a folder`, {
        cause: err,
      });
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new MmmlError("invalid_input", `${flag} ${path}: cannot write there (permission denied)`, {
        cause: err,
      });
    }
    throw err;
  }
}
