/**
 * A full disk is the user's to fix, not an internal error: exit 2 (HTTP 507) naming the path and, where
 * the writer knows it, the bytes it needed. Writers of large files go through `writeFileChecked`; any
 * other write that meets ENOSPC is turned into the same error by `asDiskFull` where errors are reported.
 */
import { MmmlError } from "./errors.ts";

/** Whether `err` (or an error it was caused by) is the OS saying the device is full. */
export function isNoSpace(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (
      (e as { code?: unknown }).code === "ENOSPC" || /No space left on device|os error 28/i.test(e.message)
    ) {
      return true;
    }
  }
  return false;
}

/** The path a Deno file error names (`... (os error 28): writefile '/a/b'`), if any. */
function pathOf(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const m = /'([^']+)'\s*$/.exec(e.message);
    if (m) return m[1];
  }
  return undefined;
}

/** The disk_full error for `err`, naming `path` (else the one the OS named) and `bytes` when known. */
export function diskFullError(
  err: unknown,
  { path, bytes }: { path?: string; bytes?: number } = {},
): MmmlError {
  const where = path ?? pathOf(err);
  const size = bytes === undefined ? "" : ` (writing ${formatBytes(bytes)})`;
  return new MmmlError(
    "disk_full",
    `no space left on the device holding ${where ?? "the output"}${size}: free space there ` +
      `(mmml registry delete NAME@VERSION --yes reclaims a version) or write elsewhere (--registry, --output)`,
    { cause: err, details: { path: where, bytes } },
  );
}

/** `err` as the disk_full error when it is ENOSPC, else unchanged. */
export function asDiskFull(err: unknown): unknown {
  return err instanceof MmmlError || !isNoSpace(err) ? err : diskFullError(err);
}

/** Writes a file, a full disk becoming the disk_full error with the path and size. */
export async function writeFileChecked(path: string, data: Uint8Array | string): Promise<void> {
  try {
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
  } catch (err) {
    if (!isNoSpace(err)) throw err;
    const bytes = typeof data === "string" ? new TextEncoder().encode(data).length : data.length;
    throw diskFullError(err, { path, bytes });
  }
}

/** 1234567 -> "1.2 MB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1000, u = 0;
  while (v >= 1000 && u < units.length - 1) (v /= 1000), u++;
  return `${v.toFixed(1)} ${units[u]}`;
}
