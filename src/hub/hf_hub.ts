/**
 * Files from the Hugging Face hub, fetched and cached as the hub's own clients do (huggingface_hub):
 * - `HF_ENDPOINT` (default https://huggingface.co), `HF_TOKEN` sent as a bearer token, `HF_HUB_OFFLINE=1`
 *   for the cache only;
 * - the cache `$HF_HOME/hub` (else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`), in
 *   huggingface_hub's layout, so its downloads and ours are shared:
 *   `models--ORG--REPO/{blobs/<etag>, refs/<revision> (the commit), snapshots/<commit>/<file>}`;
 * - a download goes to `blobs/<etag>.incomplete` (continued with a Range request when one is left from
 *   an interrupted run), is checked against the sha256 the hub states for LFS files (or a pinned one),
 *   then renamed into place: a failed or killed download never leaves a file that looks complete.
 * A second use of the same repo and revision needs no network. Every failure is exit 2 naming the repo,
 * the file and the cause, with the offline way out (`--pretrained FILE`).
 */
import { join } from "node:path";
import { MmmlError } from "../errors.ts";
import { redactUrl } from "../redact.ts";
import { exists, sha256File } from "../files.ts";

export interface HubOptions {
  env: Record<string, string>;
  /** Called as bytes arrive (for a progress bar); total is null when the server does not say. */
  onProgress?: (received: number, total: number | null) => void;
  fetch?: typeof fetch;
}

export interface HubFile {
  repo: string;
  revision: string;
  file: string;
  /** sha256 (hex) the file must have, when known in advance. */
  sha256?: string;
}

/** The cache root, as huggingface_hub picks it. */
export function hubCacheDir(env: Record<string, string>): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, "hub");
  const base = env.XDG_CACHE_HOME || join(env.HOME || ".", ".cache");
  return join(base, "huggingface", "hub");
}

const isOffline = (env: Record<string, string>) => /^(1|true|yes|on)$/i.test(env.HF_HUB_OFFLINE ?? "");
const isCommit = (rev: string) => /^[0-9a-f]{40}$/.test(rev);

/** The local path of `file` of `repo` at `revision`, downloaded into the cache unless it is there. */
export async function hubFile(want: HubFile, options: HubOptions): Promise<string> {
  const { env } = options;
  const { repo, revision, file } = want;
  const root = join(hubCacheDir(env), `models--${repo.replaceAll("/", "--")}`);
  const fail = (
    code: "backend_unavailable" | "model_not_found" | "unauthorized" | "invalid_input",
    why: string,
  ) =>
    new MmmlError(
      code,
      `Cannot get ${file} of ${repo}@${revision} from the Hugging Face hub: ${why}. Offline, download the ` +
        `file elsewhere and pass it with --pretrained FILE`,
      { details: { repo, revision, file } },
    );
  const cached = async (): Promise<string | null> => {
    const commit = isCommit(revision)
      ? revision
      : (await Deno.readTextFile(join(root, "refs", revision)).catch(() => "")).trim();
    const path = commit ? join(root, "snapshots", commit, file) : "";
    return path && await exists(path) ? path : null;
  };
  if (isOffline(env)) {
    const hit = await cached();
    if (hit) return hit;
    throw fail("invalid_input", `HF_HUB_OFFLINE is set and the cache (${root}) does not hold it`);
  }

  const endpoint = (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, "");
  const url = `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
  const headers: Record<string, string> = { "user-agent": "mmml" };
  if (env.HF_TOKEN) headers.authorization = `Bearer ${env.HF_TOKEN}`;
  const doFetch = options.fetch ?? fetch;
  let head: Response;
  try {
    // Not following the hub's redirect to its file store: the metadata (commit, ETag, size of an LFS
    // file) is on the hub's own answer, as huggingface_hub reads it.
    head = await doFetch(url, { method: "HEAD", headers, redirect: "manual" });
    if (head.status >= 300 && head.status < 400 && !head.headers.get("x-repo-commit")) {
      head = await doFetch(url, { method: "HEAD", headers, redirect: "follow" });
    }
  } catch (err) {
    // Unreachable: what the cache has still serves, as huggingface_hub does.
    const hit = await cached();
    if (hit) return hit;
    throw fail("backend_unavailable", `${redactUrl(endpoint)} is unreachable (${(err as Error).message})`);
  }
  if (head.status === 401 || head.status === 403) {
    throw fail(
      "unauthorized",
      `the hub answered ${head.status}${env.HF_TOKEN ? "" : " (set HF_TOKEN for a private repo)"}`,
    );
  }
  if (head.status === 404) {
    throw fail("model_not_found", "the hub answered 404 (no such repo, revision or file)");
  }
  if (!head.ok && !(head.status >= 300 && head.status < 400)) {
    throw fail("backend_unavailable", `the hub answered ${head.status}`);
  }
  const commit = head.headers.get("x-repo-commit") ?? (isCommit(revision) ? revision : null);
  const etag = (head.headers.get("x-linked-etag") ?? head.headers.get("etag") ?? "").replace(/^W\//, "")
    .replaceAll('"', "");
  if (!commit || !etag) throw fail("backend_unavailable", "the hub's answer names no commit or ETag");
  const size = Number(head.headers.get("x-linked-size") ?? head.headers.get("content-length") ?? NaN);
  const expected = want.sha256 ?? (/^[0-9a-f]{64}$/.test(etag) ? etag : undefined);

  const snapshot = join(root, "snapshots", commit, file);
  const blob = join(root, "blobs", etag);
  await Deno.mkdir(join(root, "blobs"), { recursive: true });
  if (!(await exists(blob))) await download(blob, { url, headers, size, expected, doFetch, fail, options });
  await Deno.mkdir(join(snapshot, ".."), { recursive: true });
  if (!(await exists(snapshot))) {
    const tmp = `${snapshot}.${crypto.randomUUID()}.tmp`;
    await Deno.symlink(join("..", "..", ...file.split("/").slice(1).map(() => ".."), "blobs", etag), tmp)
      .catch(() => Deno.copyFile(blob, tmp));
    await Deno.rename(tmp, snapshot);
  }
  if (!isCommit(revision)) {
    await Deno.mkdir(join(root, "refs"), { recursive: true });
    const tmp = join(root, "refs", `.${revision}.${crypto.randomUUID()}.tmp`);
    await Deno.writeTextFile(tmp, commit);
    await Deno.rename(tmp, join(root, "refs", revision));
  }
  return snapshot;
}

async function download(
  blob: string,
  { url, headers, size, expected, doFetch, fail, options }: {
    url: string;
    headers: Record<string, string>;
    size: number;
    expected?: string;
    doFetch: typeof fetch;
    fail: (code: "backend_unavailable" | "invalid_input", why: string) => MmmlError;
    options: HubOptions;
  },
): Promise<void> {
  const partial = `${blob}.incomplete`;
  const have = (await Deno.stat(partial).catch(() => null))?.size ?? 0;
  let res: Response;
  try {
    res = await doFetch(url, { headers: have ? { ...headers, range: `bytes=${have}-` } : headers });
  } catch (err) {
    throw fail("backend_unavailable", `the download failed (${(err as Error).message})`);
  }
  if (!res.ok || !res.body) throw fail("backend_unavailable", `the download answered ${res.status}`);
  const resumed = have > 0 && res.status === 206;
  using out = await Deno.open(partial, { create: true, write: true, append: resumed, truncate: !resumed });
  let received = resumed ? have : 0;
  const total = Number.isFinite(size) ? size : null;
  try {
    for await (const chunk of res.body) {
      let bytes = chunk;
      while (bytes.length) bytes = bytes.subarray(await out.write(bytes));
      received += chunk.length;
      options.onProgress?.(received, total);
    }
  } catch (err) {
    throw fail(
      "backend_unavailable",
      `the download broke off after ${received} bytes (${(err as Error).message}); run again to continue it`,
    );
  }
  if (total !== null && received !== total) {
    throw fail(
      "invalid_input",
      `the download ended at ${received} of ${total} bytes (truncated); run again to continue it`,
    );
  }
  if (expected) {
    const got = await sha256File(partial);
    if (got !== expected) {
      await Deno.remove(partial).catch(() => {});
      throw fail("invalid_input", `its sha256 is ${got}, expected ${expected} (corrupted or replaced)`);
    }
  }
  await Deno.rename(partial, blob);
}
