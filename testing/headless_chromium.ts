/**
 * Test helper: Debian's `chromium` in headless mode, to load a page from a file:// URL and either dump
 * the DOM after load or take a screenshot. Every run gets a fresh profile folder and the flags that
 * keep it off the network (no sync, no component updates, no background requests), so it works on a
 * machine without one. Found as $MMML_TEST_CHROMIUM, else chromium, chromium-browser or google-chrome.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Where a browser was found, or why none could be used. */
export type ChromiumProbe = { available: true; path: string; version: string } | {
  available: false;
  reason: string;
};

const CANDIDATES = ["chromium", "chromium-browser", "google-chrome"] as const;
const RUN_TIMEOUT_MS = 90_000;

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--hide-scrollbars",
  "--force-device-scale-factor=1",
] as const;

/** Looks for a working browser (`--version` must succeed); never throws. */
export async function probeChromium(explicit?: string): Promise<ChromiumProbe> {
  const tried: string[] = [];
  for (const path of explicit ? [explicit] : CANDIDATES) {
    try {
      const out = await new Deno.Command(path, {
        args: ["--version"],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output();
      const version = new TextDecoder().decode(out.stdout).trim();
      if (out.success && /\d+\.\d+/.test(version)) return { available: true, path, version };
      tried.push(`${path} --version exited ${out.code}`);
    } catch (err) {
      tried.push(err instanceof Deno.errors.NotFound ? `no ${path}` : `${path}: ${(err as Error).message}`);
    }
  }
  return { available: false, reason: tried.join("; ") };
}

async function runChromium(path: string, args: string[]): Promise<Uint8Array> {
  const profile = await Deno.makeTempDir({ prefix: "mmml_chromium_" });
  try {
    const out = await new Deno.Command(path, {
      args: [...FLAGS, `--user-data-dir=${profile}`, ...args],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
    }).output();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).split("\n").slice(-15).join("\n");
      throw new Error(`${path} ${args.join(" ")} exited ${out.code}:\n${err}`);
    }
    return out.stdout;
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** The page's DOM serialized after its load event (inline scripts have run). */
export async function dumpDom(path: string, file: string): Promise<string> {
  const out = await runChromium(path, ["--dump-dom", pathToFileURL(file).href]);
  return new TextDecoder().decode(out);
}

/** A PNG screenshot of the page in a `width` x `height` window. */
export async function screenshot(
  path: string,
  file: string,
  width: number,
  height: number,
): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "mmml_shot_" });
  try {
    const png = join(dir, "shot.png");
    await runChromium(path, [
      `--screenshot=${png}`,
      `--window-size=${width},${height}`,
      pathToFileURL(file).href,
    ]);
    return await Deno.readFile(png);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
