/**
 * Reads a file the user named only when it is a regular file within a size limit: `--config /dev/zero`
 * would otherwise grow without bound, a FIFO would hang, a folder would fail late. The checks come
 * before the file is opened. Other failures (not found, no permission) are thrown as Deno raised them,
 * so each caller keeps its own message for those.
 */
import { MmmlError } from "./errors.ts";
import { formatBytes } from "./disk_space.ts";

export interface BoundedReadOptions {
  /** What the file is, for messages: "config", "pretrained weights". */
  what: string;
  /** The largest size accepted. */
  maxBytes: number;
}

/** The checks of readFileBounded without the read, for a file needed later (validated before a run starts). */
export async function checkFileBounded(path: string, { what, maxBytes }: BoundedReadOptions): Promise<void> {
  const info = await Deno.stat(path);
  if (!info.isFile) {
    const kind = info.isDirectory
      ? "a folder"
      : info.isFifo
      ? "a pipe (use - to read standard input where a command takes it)"
      : info.isCharDevice || info.isBlockDevice
      ? "a device"
      : info.isSocket
      ? "a socket"
      : "not a regular file";
    throw new MmmlError(
      "invalid_input",
      `Cannot read ${what} "${path}": expected a regular file, received ${kind}`,
    );
  }
  if (info.size > maxBytes) {
    throw new MmmlError(
      "invalid_input",
      `Cannot read ${what} "${path}": it is ${formatBytes(info.size)}, over the ${formatBytes(maxBytes)} ` +
        `limit for ${what} files`,
    );
  }
}

/** The file's bytes, once it is known to be a regular file of at most `maxBytes`. */
export async function readFileBounded(path: string, options: BoundedReadOptions): Promise<Uint8Array> {
  await checkFileBounded(path, options);
  const { what, maxBytes } = options;
  const bytes = await Deno.readFile(path);
  // A file that grew between stat and read is held to the same limit.
  if (bytes.length > maxBytes) {
    throw new MmmlError(
      "invalid_input",
      `Cannot read ${what} "${path}": it grew past ${formatBytes(maxBytes)}`,
    );
  }
  return bytes;
}

/** The file as UTF-8 text, under the same checks. */
export async function readTextBounded(path: string, options: BoundedReadOptions): Promise<string> {
  return new TextDecoder().decode(await readFileBounded(path, options));
}

/** Size limits of the files a user names. */
export const FILE_LIMITS = {
  config: 1024 * 1024,
  schema: 16 * 1024 * 1024,
  pretrained: 2 * 1024 * 1024 * 1024,
  data: 4 * 1024 * 1024 * 1024,
} as const;
