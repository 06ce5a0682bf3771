/**
 * A loopback stand-in for the Hugging Face hub's file API: HEAD and GET on
 * /ORG/REPO/resolve/REVISION/FILE with the headers huggingface_hub reads (X-Repo-Commit, X-Linked-Etag =
 * the sha256 of the file, X-Linked-Size), a bearer token check, Range requests, and a switch that cuts a
 * download short after N bytes.
 */
export interface FakeHub {
  url: string;
  commit: string;
  sha256(repo: string): string;
  downloads(): number;
  ranges(): string[];
  cutAfter(bytes: number | null): void;
  close(): Promise<void>;
}

export async function fakeHub(
  repos: Record<string, Record<string, Uint8Array<ArrayBuffer>>>,
  { token }: { token?: string } = {},
): Promise<FakeHub> {
  const commit = "0123456789abcdef0123456789abcdef01234567";
  const hashes = new Map<string, string>();
  for (const [repo, files] of Object.entries(repos)) {
    for (const [file, body] of Object.entries(files)) {
      const digest = await crypto.subtle.digest("SHA-256", body);
      hashes.set(
        `${repo}/${file}`,
        Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
      );
    }
  }
  let downloads = 0;
  let cut: number | null = null;
  const ranges: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(new URL(req.url).pathname);
    if (token && req.headers.get("authorization") !== `Bearer ${token}`) {
      return new Response("no", { status: 401 });
    }
    const body = m ? repos[m[1]]?.[m[3]] : undefined;
    if (!m || !body) return new Response("not found", { status: 404 });
    const sha = hashes.get(`${m[1]}/${m[3]}`)!;
    const headers = {
      "x-repo-commit": commit,
      "x-linked-etag": `"${sha}"`,
      "x-linked-size": String(body.length),
      etag: `"${sha}"`,
    };
    if (req.method === "HEAD") {
      return new Response(null, { headers: { ...headers, "content-length": String(body.length) } });
    }
    downloads++;
    const range = req.headers.get("range");
    let from = 0;
    if (range) {
      ranges.push(range);
      from = Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0);
    }
    const part = body.subarray(from, cut === null ? body.length : Math.min(body.length, cut));
    return new Response(part, { status: range ? 206 : 200, headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    commit,
    sha256: (repo) => hashes.get(`${repo}/model.safetensors`)!,
    downloads: () => downloads,
    ranges: () => ranges,
    cutAfter: (n) => void (cut = n),
    close: async () => {
      try {
        await server.shutdown();
      } catch { /* already closed */ }
    },
  };
}
