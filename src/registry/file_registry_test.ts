import assert from "node:assert/strict";
import { join } from "node:path";
import { MmmlError } from "../errors.ts";
import { verifyArtifacts } from "./artifact_hashes.ts";
import { createFileRegistry } from "./file_registry.ts";
import type { Registry } from "./registry_types.ts";

type RegisterMeta = Parameters<Registry["register"]>[1];

function sampleMeta(metrics: Record<string, number> = {}): RegisterMeta {
  return {
    task: "tabular",
    arch: "mlp",
    backend: "wasm",
    classes: ["Adelie", "Chinstrap", "Gentoo"],
    metrics,
    timings: { train_s: 1.5 },
    data_fingerprint: "abc",
    input_shape: [7],
  };
}

/** A write callback shaped like the trainer's: a few JSON files and a nested weights file. */
function writeArtifacts(tag: string) {
  return async (dir: string) => {
    await Deno.mkdir(join(dir, "model"));
    await Deno.writeTextFile(join(dir, "model", "model.json"), JSON.stringify({ tag }));
    await Deno.writeFile(join(dir, "model", "weights.bin"), new TextEncoder().encode(`weights of ${tag}`));
    await Deno.writeTextFile(join(dir, "schema.json"), JSON.stringify({ columns: ["bill_length_mm"], tag }));
  };
}

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "mmml_registry_" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function entries(path: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(path))).map((e) => e.name).sort();
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MmmlError, `expected MmmlError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("FileRegistry publishes v1 then v2 with meta.json and a sha256 per file", async () => {
  await withRoot(async (root) => {
    const clock = () => new Date("2024-05-01T12:00:00Z");
    const reg = createFileRegistry(root, { clock });
    const v1 = await reg.register("penguins", sampleMeta(), writeArtifacts("one"));
    const v2 = await reg.register("penguins", sampleMeta(), writeArtifacts("two"));
    assert.equal(v1.meta.version, 1);
    assert.equal(v2.meta.version, 2);
    assert.equal(v2.dir, join(root, "penguins", "v2"));
    assert.deepEqual(await entries(join(root, "penguins")), ["v1", "v2"]);
    assert.deepEqual(Object.keys(v1.meta.files).sort(), [
      "model/model.json",
      "model/weights.bin",
      "schema.json",
    ]);
    // sha256 of the bytes "weights of one".
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("weights of one"));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(v1.meta.files["model/weights.bin"], hex);
    const onDisk = JSON.parse(await Deno.readTextFile(join(v1.dir, "meta.json")));
    assert.deepEqual(onDisk, v1.meta);
    assert.equal(onDisk.created, "2024-05-01T12:00:00.000Z");
    assert.deepEqual([onDisk.stages, onDisk.tags], [[], []]);
    assert.deepEqual((await reg.list()).map((v) => `${v.meta.name}@${v.meta.version}`), [
      "penguins@1",
      "penguins@2",
    ]);
    assert.deepEqual(await readJson(v2, "schema.json"), { columns: ["bill_length_mm"], tag: "two" });
  });
});

Deno.test("FileRegistry leaves no version and no staging folder when write throws", async () => {
  await withRoot(async (root) => {
    const reg = createFileRegistry(root);
    const boom = new Error("disk full while writing weights");
    await assert.rejects(
      reg.register("penguins", sampleMeta(), async (dir) => {
        await writeArtifacts("half")(dir);
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.deepEqual(await entries(join(root, "penguins")), []);
    assert.deepEqual(await reg.list(), []);
    const v = await reg.register("penguins", sampleMeta(), writeArtifacts("ok"));
    assert.equal(v.meta.version, 1);
  });
});

Deno.test("FileRegistry ignores staging folders and version folders without meta.json", async () => {
  await withRoot(async (root) => {
    const reg = createFileRegistry(root);
    await Deno.mkdir(join(root, "penguins", ".staging-crashed"), { recursive: true });
    await Deno.writeTextFile(join(root, "penguins", ".staging-crashed", "meta.json"), "{}");
    await Deno.mkdir(join(root, "penguins", "v1"));
    await Deno.writeTextFile(join(root, "penguins", "v1", "weights.bin"), "left by a crash");
    await rejectsWith(reg.resolve("penguins"), "model_not_found", /holds no models/);
    const v = await reg.register("penguins", sampleMeta(), writeArtifacts("x"));
    // v1 is taken by the stray folder, so the number is never reused for different bytes.
    assert.equal(v.meta.version, 2);
    assert.deepEqual((await reg.list("penguins")).map((x) => x.meta.version), [2]);
  });
});

Deno.test("FileRegistry gives 8 concurrent registrations distinct consecutive versions", async () => {
  await withRoot(async (root) => {
    const reg = createFileRegistry(root);
    // allSettled, not all: a failure must not let cleanup race registrations still writing.
    const settled = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        reg.register("penguins", sampleMeta(), async (dir) => {
          await new Promise((r) => setTimeout(r, (i * 7) % 5));
          await writeArtifacts(`job${i}`)(dir);
        })),
    );
    const made = settled.map((r) => {
      if (r.status === "rejected") throw r.reason;
      return r.value;
    });
    assert.deepEqual(made.map((v) => v.meta.version).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
    const listed = await reg.list("penguins");
    assert.deepEqual(listed.map((v) => v.meta.version), [1, 2, 3, 4, 5, 6, 7, 8]);
    const tags = await Promise.all(
      listed.map(async (v) => (await readJson(v, "schema.json") as { tag: string }).tag),
    );
    assert.deepEqual(tags.sort(), Array.from({ length: 8 }, (_, i) => `job${i}`).sort());
    await Promise.all(listed.map(verifyArtifacts));
    assert.deepEqual(await entries(join(root, "penguins")), listed.map((v) => `v${v.meta.version}`).sort());
  });
});

const CHILD = `
import { createFileRegistry } from ${JSON.stringify(new URL("./file_registry.ts", import.meta.url).href)};
const [root, id, count, barrier] = Deno.args;
await Deno.writeTextFile(barrier + "/ready-" + id, "");
while (true) {
  try { await Deno.stat(barrier + "/go"); break; } catch { await new Promise((r) => setTimeout(r, 2)); }
}
const reg = createFileRegistry(root);
for (let j = 0; j < Number(count); j++) {
  const v = await reg.register("penguins", ${JSON.stringify(sampleMeta())}, async (dir) => {
    await Deno.writeTextFile(dir + "/schema.json", JSON.stringify({ tag: id + "-" + j }));
  });
  console.log(v.meta.version);
}
`;

Deno.test("FileRegistry gives 4 processes registering at once distinct consecutive versions", async () => {
  await withRoot(async (tmp) => {
    const root = join(tmp, "models");
    const barrier = join(tmp, "barrier");
    await Deno.mkdir(barrier);
    const script = join(tmp, "child.ts");
    await Deno.writeTextFile(script, CHILD);
    const procs = 4, each = 3;
    const children = Array.from({ length: procs }, (_, id) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-config",
          "--no-lock",
          "--allow-read",
          "--allow-write",
          script,
          root,
          `p${id}`,
          `${each}`,
          barrier,
        ],
        cwd: tmp,
        stdout: "piped",
        stderr: "piped",
      }).output());
    // Release all children together once every one has started, so their registrations overlap.
    const deadline = Date.now() + 30_000;
    while ((await entries(barrier)).length < procs && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await Deno.writeTextFile(join(barrier, "go"), "");
    const outputs = await Promise.all(children);
    const dec = new TextDecoder();
    for (const out of outputs) assert.equal(out.code, 0, dec.decode(out.stderr));
    const reported = outputs.flatMap((o) => dec.decode(o.stdout).trim().split("\n").map(Number));
    const all = Array.from({ length: procs * each }, (_, i) => i + 1);
    assert.deepEqual(reported.sort((a, b) => a - b), all);
    const reg = createFileRegistry(root);
    const listed = await reg.list("penguins");
    assert.deepEqual(listed.map((v) => v.meta.version), all);
    const tags = await Promise.all(
      listed.map(async (v) => (await readJson(v, "schema.json") as { tag: string }).tag),
    );
    const expected = Array.from(
      { length: procs },
      (_, p) => Array.from({ length: each }, (_, j) => `p${p}-${j}`),
    );
    assert.deepEqual(tags.sort(), expected.flat().sort());
    assert.deepEqual(await entries(join(root, "penguins")), all.map((n) => `v${n}`).sort());
  });
});

Deno.test("FileRegistry resolves NAME, @N, @latest, @best and @stage", async () => {
  await withRoot(async (root) => {
    const reg = createFileRegistry(root);
    const metrics = [
      { "val.macro_f1": 0.8, "val.accuracy": 0.95 },
      { "val.macro_f1": 0.9, "val.accuracy": 0.85 },
      { "val.macro_f1": 0.9, "val.accuracy": 0.88 },
      { "val.macro_f1": 0.7, "val.accuracy": 0.99 },
    ];
    for (const [i, m] of metrics.entries()) {
      await reg.register("penguins", sampleMeta(m), writeArtifacts(`${i}`));
    }
    await reg.register("iris", sampleMeta(), writeArtifacts("iris"));
    await reg.setStages("penguins", 1, ["production", "staging"]);
    const promoted = await reg.setStages("penguins", 2, ["production"]);
    assert.deepEqual(promoted.meta.stages, ["production"]);
    const at = async (ref: string) => (await reg.resolve(ref)).meta.version;
    assert.equal(await at("penguins"), 4);
    assert.equal(await at("penguins@latest"), 4);
    assert.equal(await at("penguins@2"), 2);
    assert.equal(await at("penguins@best"), 3);
    assert.equal(await at("penguins@production"), 2);
    assert.equal(await at("penguins@staging"), 1);
    assert.equal(await at("iris"), 1);
    assert.equal((await reg.resolve("penguins@production")).dir, join(root, "penguins", "v2"));
    await rejectsWith(reg.resolve("penguins@9"), "model_not_found", /versions of penguins are 1, 2, 3, 4/);
    await rejectsWith(reg.resolve("pinguins"), "model_not_found", /available models are iris, penguins/);
    await rejectsWith(reg.resolve("penguins@archived"), "model_not_found", /stage "archived"/);
    await rejectsWith(reg.resolve("../penguins"), "invalid_input", /received "..\/penguins"/);
    await rejectsWith(reg.setStages("penguins", 1, ["latest"]), "invalid_input", /reserved/);
    await rejectsWith(
      reg.register("bad name", sampleMeta(), writeArtifacts("x")),
      "invalid_input",
      /received "bad name"/,
    );
  });
});

Deno.test("verifyArtifacts names the file that was tampered with or removed", async () => {
  await withRoot(async (root) => {
    const reg = createFileRegistry(root);
    const v = await reg.register("penguins", sampleMeta(), writeArtifacts("x"));
    await verifyArtifacts(v);
    await Deno.writeTextFile(join(v.dir, "model", "weights.bin"), "weights of y");
    await rejectsWith(verifyArtifacts(v), "artifact_corrupt", /"model\/weights.bin" of penguins@1 .*changed/);
    await Deno.remove(join(v.dir, "schema.json"));
    const fresh = await reg.resolve("penguins@1");
    await rejectsWith(verifyArtifacts(fresh), "artifact_corrupt", /"model\/weights.bin"/);
    await Deno.writeTextFile(join(v.dir, "model", "weights.bin"), "weights of x");
    await rejectsWith(verifyArtifacts(fresh), "artifact_corrupt", /"schema.json" of penguins@1 is missing/);
  });
});

Deno.test("FileRegistry rejects a meta.json whose version disagrees with its folder", async () => {
  await withRoot(async (root) => {
    const reg = createFileRegistry(root);
    const v = await reg.register("penguins", sampleMeta(), writeArtifacts("x"));
    await Deno.rename(v.dir, join(root, "penguins", "v5"));
    await rejectsWith(reg.list(), "artifact_corrupt", /v5\/meta.json: version: expected 5 .*received 1/);
  });
});

Deno.test("FileRegistry moves a stage exclusively, sets tags, and deletes without reusing the number", async () => {
  await withRoot(async (root) => {
    const reg = createFileRegistry(root);
    for (const t of ["a", "b", "c"]) await reg.register("penguins", sampleMeta(), writeArtifacts(t));
    await reg.setStages("penguins", 1, ["production", "staging"]);
    await reg.setStages("penguins", 2, ["production"], { exclusive: true });
    assert.deepEqual((await reg.list("penguins")).map((v) => v.meta.stages), [
      ["staging"],
      ["production"],
      [],
    ]);
    assert.deepEqual((await reg.setTags("penguins", 3, ["candidate", "candidate"])).meta.tags, ["candidate"]);
    assert.deepEqual((await reg.resolve("penguins@3")).meta.tags, ["candidate"]);
    await rejectsWith(reg.setTags("penguins", 3, ["bad\ttag"]), "invalid_input", /Invalid tag/);
    await reg.delete("penguins", 3);
    assert.deepEqual((await reg.list("penguins")).map((v) => v.meta.version), [1, 2]);
    await rejectsWith(reg.delete("penguins", 3), "model_not_found", /versions of penguins are 1, 2/);
    assert.equal((await reg.register("penguins", sampleMeta(), writeArtifacts("d"))).meta.version, 4);
    await reg.verify(await reg.resolve("penguins@4"));
    await reg.close();
  });
});

/** A JSON file of a version, parsed (these tests write free-form artifacts, not mmml's). */
async function readJson(version: { dir: string }, file: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(join(version.dir, file)));
}
