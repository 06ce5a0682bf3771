import assert from "node:assert/strict";
import { join } from "node:path";
import { MmmlError } from "../errors.ts";
import { hubCacheDir, hubFile } from "./hf_hub.ts";
import { hubReference } from "./pretrained_ref.ts";
import { fakeHub } from "../../testing/fake_hub.ts";

const randomBytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);

const code = (c: string, pattern: RegExp) => (e: unknown) =>
  e instanceof MmmlError && e.code === c && pattern.test(e.message);

Deno.test("hub: downloads once into huggingface_hub's cache layout, then serves it offline and when unreachable", async () => {
  const home = await Deno.makeTempDir({ prefix: "mmml_hf_home_" });
  const body = randomBytes(300_000);
  const hub = await fakeHub({ "timm/resnet18.tv_in1k": { "model.safetensors": body } }, { token: "s3cret" });
  try {
    const env = { HF_ENDPOINT: hub.url, HF_HOME: home, HF_TOKEN: "s3cret" };
    const seen: number[] = [];
    const want = { repo: "timm/resnet18.tv_in1k", revision: "main", file: "model.safetensors" };
    const path = await hubFile(want, { env, onProgress: (n) => seen.push(n) });
    assert.deepEqual(await Deno.readFile(path), body);
    assert.equal(seen.at(-1), body.length);
    assert.ok(path.startsWith(join(home, "hub", "models--timm--resnet18.tv_in1k", "snapshots", hub.commit)));
    assert.equal(
      await Deno.readTextFile(join(home, "hub", "models--timm--resnet18.tv_in1k", "refs", "main")),
      hub.commit,
    );
    assert.equal(hub.downloads(), 1);
    // Again: no new download; offline: from the cache; hub gone: from the cache.
    assert.equal(await hubFile(want, { env }), path);
    assert.equal(await hubFile(want, { env: { ...env, HF_HUB_OFFLINE: "1" } }), path);
    assert.equal(hub.downloads(), 1);
    await hub.close();
    assert.equal(await hubFile(want, { env }), path);
    await assert.rejects(
      hubFile({ ...want, repo: "timm/resnet50.tv_in1k" }, { env }),
      code("backend_unavailable", /timm\/resnet50\.tv_in1k@main .*is unreachable.*--pretrained FILE/),
    );
    await assert.rejects(
      hubFile({ ...want, repo: "timm/resnet50.tv_in1k" }, { env: { ...env, HF_HUB_OFFLINE: "1" } }),
      code("invalid_input", /HF_HUB_OFFLINE is set and the cache .* does not hold it/),
    );
  } finally {
    await hub.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("hub: 401 and 404 name the repo; a wrong hash and a truncated download leave nothing; a partial one resumes", async () => {
  const home = await Deno.makeTempDir({ prefix: "mmml_hf_home_" });
  const body = randomBytes(100_000);
  const hub = await fakeHub({ "org/private": { "model.safetensors": body } }, { token: "t0ken" });
  try {
    const env = { HF_ENDPOINT: hub.url, HF_HOME: home };
    const want = { repo: "org/private", revision: "main", file: "model.safetensors" };
    await assert.rejects(
      hubFile(want, { env }),
      code("unauthorized", /org\/private@main .*401 \(set HF_TOKEN/),
    );
    const authed = { ...env, HF_TOKEN: "t0ken" };
    await assert.rejects(
      hubFile({ ...want, repo: "org/none" }, { env: authed }),
      code("model_not_found", /org\/none@main.*404/),
    );
    await assert.rejects(
      hubFile({ ...want, sha256: "0".repeat(64) }, { env: authed }),
      code("invalid_input", /its sha256 is [0-9a-f]{64}, expected 0{64}/),
    );
    hub.cutAfter(40_000);
    await assert.rejects(
      hubFile(want, { env: authed }),
      code("invalid_input", /ended at 40000 of 100000 bytes \(truncated\); run again/),
    );
    const blobs = join(hubCacheDir(authed), "models--org--private", "blobs");
    assert.deepEqual([...Deno.readDirSync(blobs)].map((e) => e.name), [
      `${hub.sha256("org/private")}.incomplete`,
    ]);
    hub.cutAfter(null);
    const path = await hubFile(want, { env: authed });
    assert.deepEqual(await Deno.readFile(path), body);
    assert.deepEqual(hub.ranges(), ["bytes=40000-"], "the second download continued the first");
  } finally {
    await hub.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("--pretrained values: imagenet per architecture, hf:ORG/REPO[@REV], else a path", () => {
  assert.deepEqual(hubReference("imagenet", "resnet50"), { repo: "timm/resnet50.tv_in1k", revision: "main" });
  assert.deepEqual(hubReference("hf:me/my-net@v2", "resnet18"), { repo: "me/my-net", revision: "v2" });
  assert.equal(hubReference("weights/r18.safetensors", "resnet18"), null);
  assert.throws(
    () => hubReference("imagenet", "mlp"),
    code("config_invalid", /imagenet weights exist for resnet18/),
  );
  assert.throws(
    () => hubReference("hf:no-slash", "resnet18"),
    code("config_invalid", /expected hf:ORG\/REPO/),
  );
});
