import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, logMessages } from "../../testing/cli.ts";
import { MmmlConfig } from "../config/schema.ts";
import { syntheticTabularCsv } from "../../testing/synthetic_tabular.ts";
import { MmmlError } from "../errors.ts";
import { createMemoryLogger } from "../log.ts";
import { openRegistry } from "../registry/open_registry.ts";
import type { Registry } from "../registry/registry_types.ts";
import { loadTrainerState } from "../training/trainer_state.ts";
import { SavedConfig } from "../artifacts/saved_config.ts";
import { LAST_CHECKPOINT } from "../artifacts/version_files.ts";
import { type ResumeDeps, resumeTraining } from "./resume.ts";
import { parseResumeRequest } from "./resume_request.ts";
import { createRunWorkDir, WORK_FOLDER } from "./work_dir.ts";
import { runTraining, type TrainRunResult } from "./train.ts";

const CSV = syntheticTabularCsv({ rows: 240, seed: 5, missing: 0.05 });

/** A temp folder with the CSV and a registry folder, removed afterwards. */
async function withSetup(fn: (root: string, csv: string, reg: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "mmml_resume_" });
  try {
    await Deno.writeTextFile(join(root, "syn.csv"), CSV);
    await fn(root, join(root, "syn.csv"), join(root, "models"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const configFor = (
  csv: string,
  reg: string,
  name: string,
  epochs: number,
  over: Record<string, unknown> = {},
) =>
  MmmlConfig.parse({
    data: { path: csv, label: "label" },
    model: { arch: "mlp", hidden: [16], dropout: 0.2, ...over },
    training: { epochs, batch_size: 32, progress: false, seed: 3 },
    registry: { path: reg, name },
  });

async function train(config: MmmlConfig, registry?: Registry): Promise<TrainRunResult> {
  const reg = registry ?? await openRegistry(config.registry.path);
  try {
    return await runTraining(config, { registry: reg, logger: createMemoryLogger("warn") });
  } finally {
    if (!registry) await reg.close();
  }
}

const deps = (logger = createMemoryLogger("warn")): ResumeDeps => ({
  logger,
  openRegistry: (location, artifacts) => openRegistry(location!, { artifacts }),
});

const readJson = async (path: string) => JSON.parse(await Deno.readTextFile(path));
const weights = (artifact: string) => Deno.readFile(join(artifact, "model", "weights.bin"));
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

for (const [engine, over] of [["fused", {}], ["tfjs", { batch_norm: true }]] as const) {
  Deno.test(`--resume NAME@VER after 3 epochs registers a new version equal to 6 straight epochs (${engine})`, async () => {
    await withSetup(async (_root, csv, reg) => {
      const straight = await train(configFor(csv, reg, "straight", 6, over));
      const first = await train(configFor(csv, reg, "syn", 3, over));
      assert.equal(first.engine, engine);
      const resumed = await resumeTraining({ ref: "syn@1", registry: reg, epochs: 6 }, deps());
      assert.equal(resumed.name, "syn");
      assert.equal(resumed.version, 2, "a new version of the same name");
      assert.equal(resumed.epochs_run, 6);
      assert.deepEqual(resumed.metrics, straight.metrics);
      assert.deepEqual(await weights(resumed.artifact), await weights(straight.artifact));
      const metrics = await readJson(join(resumed.artifact, "metrics.json"));
      assert.equal(metrics.resumed_from, "syn@1");
      assert.deepEqual(metrics.history.map((h: { epoch: number }) => h.epoch), [1, 2, 3, 4, 5, 6]);
      assert.equal(
        (await Deno.readTextFile(join(resumed.artifact, "history.jsonl"))).trimEnd().split("\n").length,
        6,
      );
      assert.equal((await readJson(join(resumed.artifact, "config.json"))).training.epochs, 6);
      assert.equal((await loadTrainerState(join(resumed.artifact, LAST_CHECKPOINT))).epoch, 6);
      assert.equal(await exists(join(reg, WORK_FOLDER)), false, "no work folder left after publishing");
    });
  });
}

Deno.test("a run that dies after a checkpoint keeps its work folder; --resume-dir finishes it as if uninterrupted", async () => {
  await withSetup(async (_root, csv, reg) => {
    const straight = await train(configFor(csv, reg, "straight", 6));
    const registry = await openRegistry(reg);
    const crashing: Registry = { ...registry, register: () => Promise.reject(new Error("simulated crash")) };
    const logger = createMemoryLogger("warn");
    await assert.rejects(
      runTraining(configFor(csv, reg, "syn", 3), { registry: crashing, logger }),
      /simulated crash/,
    );
    await registry.close();
    const [dir] = await Array.fromAsync(
      Deno.readDir(join(reg, WORK_FOLDER)),
      (e) => join(reg, WORK_FOLDER, e.name),
    );
    assert.ok(logger.lines.some((l) => l.includes(`--resume-dir ${dir}`)), "the kept folder is named");
    for (const file of ["config.json", "preprocessor.json", "schema.json", "classes.json", "run.json"]) {
      assert.ok(await exists(join(dir, file)), `${file} in the work folder`);
    }
    const resumed = await resumeTraining({ dir, epochs: 6 }, deps());
    assert.equal(resumed.name, "syn");
    assert.deepEqual(resumed.metrics, straight.metrics);
    assert.deepEqual(await weights(resumed.artifact), await weights(straight.artifact));
    assert.equal((await readJson(join(resumed.artifact, "metrics.json"))).resumed_from_dir, dir);
    assert.equal(await exists(dir), false, "the work folder goes once published");
  });
});

Deno.test("--resume-dir encodes rows with the saved preprocessor.json instead of refitting it", async () => {
  await withSetup(async (_root, csv, reg) => {
    const registry = await openRegistry(reg);
    const crashing: Registry = { ...registry, register: () => Promise.reject(new Error("simulated crash")) };
    await assert.rejects(
      runTraining(configFor(csv, reg, "syn", 2), { registry: crashing, logger: createMemoryLogger("error") }),
    );
    await registry.close();
    const [dir] = await Array.fromAsync(
      Deno.readDir(join(reg, WORK_FOLDER)),
      (e) => join(reg, WORK_FOLDER, e.name),
    );
    const saved = await readJson(join(dir, "preprocessor.json"));
    const refit = structuredClone(saved);
    // Shift every numeric column's centre: a refit would put the data's own means back.
    const shift = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(shift);
      if (node && typeof node === "object") {
        return Object.fromEntries(
          Object.entries(node).map(([k, v]) => [k, k === "mean" && typeof v === "number" ? v + 5 : shift(v)]),
        );
      }
      return node;
    };
    const tampered = shift(saved);
    assert.notDeepEqual(tampered, refit, "the fixture has numeric means to shift");
    await Deno.writeTextFile(join(dir, "preprocessor.json"), JSON.stringify(tampered));
    const resumed = await resumeTraining({ dir, epochs: 3 }, deps());
    assert.deepEqual(await readJson(join(resumed.artifact, "preprocessor.json")), tampered);
  });
});

Deno.test("resume refuses changed data, no epochs left, and a version without a resumable checkpoint", async () => {
  await withSetup(async (_root, csv, reg) => {
    await train(configFor(csv, reg, "syn", 2));
    await assert.rejects(
      resumeTraining({ ref: "syn@1", registry: reg }, deps()),
      (e) =>
        e instanceof MmmlError && e.code === "usage" &&
        /already run 2 of 2 epochs; pass --epochs N/.test(e.message),
    );
    const noLast = configFor(csv, reg, "plain", 2);
    noLast.training.checkpoint.save_last = false;
    await train(noLast);
    await assert.rejects(
      resumeTraining({ ref: "plain@1", registry: reg, epochs: 4 }, deps()),
      (e) =>
        e instanceof MmmlError && e.code === "unsupported" &&
        /trainer_state\.json\) was not kept/.test(e.message),
    );
    await Deno.writeTextFile(csv, CSV.replace(/\n([^\n]*)\n$/, "\n$1\n$1\n"));
    await assert.rejects(
      resumeTraining({ ref: "syn@1", registry: reg, epochs: 4 }, deps()),
      (e) =>
        e instanceof MmmlError && e.code === "invalid_input" &&
        e.message.includes(`${csv} changed since that run`),
    );
    assert.equal(await exists(join(reg, WORK_FOLDER)), false, "a refused resume leaves no work folder");
  });
});

Deno.test("parseResumeRequest takes --epochs, --name, --registry and their --set keys, and refuses the rest", () => {
  const base = { set: [], config: [], json: false, "freeze-backbone": false };
  assert.deepEqual(parseResumeRequest({ ...base, resume: "iris@2", epochs: "9", registry: "m" }, "/w"), {
    ref: "iris@2",
    dir: undefined,
    epochs: 9,
    name: undefined,
    registry: "m",
  });
  const viaSet = parseResumeRequest({
    ...base,
    "resume-dir": "runs/x",
    set: ["training.epochs=7", "registry.name=b"],
  }, "/w");
  assert.equal(viaSet.dir, "/w/runs/x");
  assert.equal(viaSet.epochs, 7);
  assert.equal(viaSet.name, "b");
  const refused = (values: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(
      () => parseResumeRequest({ ...base, resume: "iris@2", ...values }, "/w"),
      (e) => e instanceof MmmlError && e.code === "usage" && pattern.test(e.message),
    );
  refused({ lr: "0.1", seed: "4" }, /cannot change --lr, --seed; only --epochs, --name and --registry/);
  refused({ set: ["model.hidden=[8]"] }, /cannot change --set model\.hidden/);
  refused({ "lr-schedule": "cosine" }, /cannot change --lr-schedule/);
  refused({ "freeze-backbone": true }, /--freeze-backbone/);
  refused({ "resume-dir": "x" }, /either --resume NAME@VERSION or --resume-dir DIR, not both/);
  refused({ epochs: "ten" }, /--epochs: expected a positive integer, received "ten"/);
});

Deno.test("a training killed with SIGKILL mid-run resumes from the work folder it printed", async () => {
  const root = await Deno.makeTempDir({ prefix: "mmml_resume_kill_" });
  try {
    const csv = join(root, "big.csv"), reg = join(root, "models");
    // Big enough that 200 epochs outlast the kill by far.
    await Deno.writeTextFile(csv, syntheticTabularCsv({ rows: 6000, seed: 2 }));
    const perms = [
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi",
      "--allow-net",
      "--allow-sys",
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        ...perms,
        new URL("../../cli.ts", import.meta.url).pathname,
        "train",
        ...["--data", csv, "--label", "label", "--registry", reg, "--epochs", "200", "--name", "big"],
        ...["--set", "training.early_stopping.enabled=false", "--set", "training.progress=false"],
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let dir: string | undefined;
    for (let i = 0; i < 300 && !dir; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const found = await Array.fromAsync(Deno.readDir(join(reg, WORK_FOLDER))).catch(() => []);
      for (const e of found) {
        const folder = join(reg, WORK_FOLDER, e.name);
        if (await exists(join(folder, LAST_CHECKPOINT, "trainer_state.json"))) dir = folder;
      }
    }
    child.kill("SIGKILL");
    await child.status;
    assert.ok(dir, "the run wrote a resumable checkpoint within 30 s");
    const epoch = (await loadTrainerState(join(dir, LAST_CHECKPOINT))).epoch;
    assert.ok(epoch < 200, `killed before the end (at epoch ${epoch})`);
    const resumed = await resumeTraining({ dir, epochs: epoch + 1 }, deps());
    assert.equal(resumed.epochs_run, epoch + 1);
    assert.equal(resumed.version, 1);
    assert.equal(await exists(dir), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("mmml train --resume registers the continuation; a flag that would change the run exits 2", async () => {
  await withSetup(async (root, csv, reg) => {
    await train(configFor(csv, reg, "syn", 2));
    const ok = await cli(["train", "--resume", "syn@1", "--epochs", "3", "--registry", reg, "--json"], {
      cwd: root,
    });
    assert.equal(ok.code, 0, ok.stderr);
    const out = JSON.parse(ok.stdout);
    assert.deepEqual([out.name, out.version, out.epochs_run], ["syn", 2, 3]);
    assert.ok(logMessages(ok.stderr, "info").some((m) => m.startsWith("resuming syn@1 at epoch 3 of 3")));
    const bad = await cli(["train", "--resume", "syn@1", "--epochs", "4", "--lr", "0.5", "--registry", reg]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cannot change --lr/);
  });
});

Deno.test("createRunWorkDir uses <registry>/.work/ for a folder registry and the OS temp folder for PostgreSQL", async () => {
  await withSetup(async (_root, _csv, reg) => {
    const local = await createRunWorkDir({ location: join(reg, "registry.db") } as Registry, "iris");
    assert.match(local, new RegExp(`^${reg}/\\.work/iris-\\d{8}T\\d{6}-[0-9a-f]{8}$`));
    const shared = await createRunWorkDir({ location: "postgres://u@db/mmml" } as Registry, "iris");
    try {
      assert.ok(shared.startsWith(Deno.env.get("TMPDIR") ?? "/tmp"), shared);
      assert.ok(!shared.startsWith(reg));
    } finally {
      await Deno.remove(shared, { recursive: true });
    }
  });
});

Deno.test("a saved config from before learning-rate schedules resumes at a constant rate, a new one as saved", () => {
  const saved = MmmlConfig.parse({ model: { arch: "resnet18" } });
  const { lr_schedule: _, ...before } = saved.training;
  const old = SavedConfig.parse({ ...saved, training: before });
  assert.equal(old.training.lr_schedule.name, "constant");
  assert.deepEqual(
    old.training.lr_schedule,
    MmmlConfig.parse({ training: { lr_schedule: { name: "constant" } } })
      .training.lr_schedule,
  );
  const cosine = {
    ...saved,
    training: { ...saved.training, lr_schedule: { ...saved.training.lr_schedule, name: "cosine" } },
  };
  assert.equal(SavedConfig.parse(cosine).training.lr_schedule.name, "cosine");
});
