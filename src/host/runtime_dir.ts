/**
 * A private XDG_RUNTIME_DIR for hosts that set none (containers, `su`, CI). Mesa's Vulkan drivers, which
 * Deno's WebGPU and ONNX Runtime's WebGPU provider load to look for an adapter, print
 * "error: XDG_RUNTIME_DIR is invalid or not set" on every probe without one: alarming on a healthy host,
 * and nothing is wrong. The entry points call this before anything probes a device.
 */
import { join } from "node:path";

/**
 * The folder to set as XDG_RUNTIME_DIR, or null when the environment already names a usable one: a folder
 * `mmml-runtime-<uid>` (mode 0700, as the spec asks) under the temp folder.
 */
export function privateRuntimeDir(env: Record<string, string | undefined>): string | null {
  const given = env.XDG_RUNTIME_DIR;
  if (given && isDirectory(given)) return null;
  try {
    const dir = join(env.TMPDIR || "/tmp", `mmml-runtime-${Deno.uid() ?? "user"}`);
    Deno.mkdirSync(dir, { mode: 0o700, recursive: true });
    return isDirectory(dir) ? dir : null;
  } catch {
    // No permission to ask (a narrow `deno run`) or a read-only temp folder: the drivers' message is
    // then the lesser evil.
    return null;
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
