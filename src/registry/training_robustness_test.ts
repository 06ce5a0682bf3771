/**
 * Issue 5, done-means 1, with real `mmml train` processes: 8 trainings at once get versions 1..8, and 20
 * SIGKILLs at seeded random moments of real trainings (startup, data loading, epochs, export, publish)
 * leave every visible version complete. concurrency_test.ts and crash_test.ts hammer the publish step
 * with tiny artifacts; these run the whole CLI on fixtures/iris.csv, so they cover what training adds:
 * work folders, checkpoints, the ONNX export and the report, all written before or inside the publish.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../cli/run_cli.ts";
import { createRng, type Rng } from "../random.ts";
import { openRegistry } from "./open_registry.ts";
import type { Registry } from "./registry_types.ts";
import {
  entries,
  PG_SKIP,
  pgTestName,
  POSTGRES_BACKEND,
  SQLITE_BACKEND,
  type TestBackend,
  withTempDir,
} from "../../testing/registry_support.ts";
import { VERSION_DIR } from "./version_folders.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const IRIS = join(ROOT, "fixtures", "iris.csv");
const NAME = "iris";
const CONCURRENT = 8;
const KILLS = 20;
/**
 * Startup (module loading) is most of a run's life, so a load spike after calibration can put every kill
 * there; runs go on being killed until at least this many kills landed after the data was loaded.
 */
const LATE_KILLS = 2;
const AT_ONCE = 4;
/** Kills are drawn uniformly in [0, KILL_SPAN x a full run) after spawn, so some land after the end. */
const KILL_SPAN = 1.1;
/** Files every trained tabular version must have recorded (and verify re-hashes). */
const REQUIRED_FILES = ["config.json", "classes.json", "metrics.json", "preprocessor.json", "schema.json"]
  .concat("model.onnx", "model/model.json", "model/weights.bin");
/** What a run does after each log line of `mmml train`; a kill lands in the phase of the last one. */
const PHASE_AFTER = [
  ["data: ", "backend and model setup"],
  ["model: ", "training epochs"],
  ["trained ", "evaluation, export and publish"],
  ["registered ", "after the commit"],
] as const satisfies readonly (readonly [string, string])[];
const BEFORE_ANY_LOG = "startup and data loading";

/** Where the children's registry is: a folder, or PostgreSQL with its own schema and artifacts folder. */
interface Place {
  location: string;
  artifacts: string;
  trainFlags: string[];
  env: Record<string, string>;
}

function placeFor(backend: TestBackend, dir: string): Place {
  const p = backend.place(dir);
  if (backend.label === "SQLite") {
    return { location: p.location, artifacts: p.artifacts, trainFlags: [], env: {} };
  }
  const url = new URL(p.location);
  url.searchParams.set("schema", p.options.schema!);
  return {
    location: url.href,
    artifacts: p.artifacts,
    trainFlags: ["--set", `registry.artifacts=${p.artifacts}`],
    env: { MMML_REGISTRY_ARTIFACTS: p.artifacts },
  };
}

interface RunEnd {
  status: Deno.CommandStatus;
  /** The --json result, when the run got to print it. */
  result: { name: string; version: number } | null;
  /** Its log lines, each with the milliseconds since its start. */
  logs: { msg: string; at: number }[];
  stderr: string;
  ms: number;
}

/** Children still running, so a failing test stops them before it removes their folder. */
const LIVE = new Set<Deno.ChildProcess>();

/** SIGKILLs every child still running and waits for them. */
async function stopAll(): Promise<void> {
  const left = [...LIVE];
  for (const child of left) {
    try {
      child.kill("SIGKILL");
    } catch { /* it ended meanwhile */ }
  }
  await Promise.all(left.map((c) => c.status));
}

/** Starts `mmml train` as its own process; TMPDIR keeps PostgreSQL runs' work folders in the test's. */
function startTraining(place: Place, dir: string, seed: number) {
  const started = performance.now();
  const startedWall = Date.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-A", "cli.ts", "train", "--data", IRIS, "--label", "species", "--name", NAME],
      ...["--epochs", "3", "--seed", String(seed), "--registry", place.location],
      ...["--set", "training.progress=false", ...place.trainFlags, "--json"],
    ],
    cwd: ROOT,
    env: { TMPDIR: dir, MMML_LOG_LEVEL: "info", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  LIVE.add(child);
  const done = Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ])
    .then(([status, stdout, stderr]): RunEnd => ({
      status,
      result: stdout.trim() ? JSON.parse(stdout) : null,
      logs: stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
        .map(({ msg, time }) => ({ msg, at: Date.parse(time) - startedWall })),
      stderr,
      ms: performance.now() - started,
    }))
    .finally(() => LIVE.delete(child));
  return { child, done };
}

function phaseOf(logs: RunEnd["logs"]): string {
  let phase: string = BEFORE_ANY_LOG;
  for (const { msg } of logs) {
    for (const [prefix, next] of PHASE_AFTER) if (msg.startsWith(prefix)) phase = next;
  }
  return phase;
}

/** The version a run committed, from its --json result or, when killed after the commit, its log. */
function committedVersion(end: RunEnd): number | null {
  if (end.result) return end.result.version;
  const line = end.logs.find((l) => l.msg.startsWith(`registered ${NAME}@`));
  return line ? Number(line.msg.match(/@(\d+)/)![1]) : null;
}

/**
 * Every visible version is complete: numbered 1..N with no gap or repeat, in its own v<N> folder, every
 * recorded file present with its sha256, meta.json the same as the row, nothing but NAME listed (no
 * staging or work folder shows as a model), and each the work of a different run (seeds are distinct
 * per run). Returns the training seed of each version, in version order.
 */
async function assertConsistent(reg: Registry, place: Place): Promise<number[]> {
  const listed = await reg.list();
  const versions = listed.map((v) => v.meta.version);
  assert.deepEqual(listed.map((v) => v.meta.name), versions.map(() => NAME));
  assert.deepEqual(versions, Array.from({ length: versions.length }, (_, i) => i + 1));
  const seeds: number[] = [];
  for (const v of listed) {
    assert.equal(v.dir, join(place.artifacts, NAME, `v${v.meta.version}`));
    await reg.verify(v);
    for (const f of REQUIRED_FILES) assert.ok(f in v.meta.files, `${v.dir}: ${f} not recorded`);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(v.dir, "meta.json"))), v.meta);
    seeds.push(JSON.parse(await Deno.readTextFile(join(v.dir, "config.json"))).training.seed);
  }
  assert.equal(new Set(seeds).size, seeds.length, `one run registered twice: seeds ${seeds}`);
  return seeds;
}

/**
 * assertConsistent on a registry opened afresh, as a new reader would. Never two at once in this
 * process: two SQLite registries on one folder in one process block each other (see the report).
 */
async function assertConsistentFresh(place: Place): Promise<number[]> {
  const reg = await openRegistry(place.location, { artifacts: place.artifacts });
  try {
    return await assertConsistent(reg, place);
  } finally {
    await reg.close();
  }
}

/** `mmml registry list --json` in-process: one entry per version of NAME. */
async function cliListedVersions(place: Place): Promise<number[]> {
  let stdout = "";
  let stderr = "";
  const code = await runCli({
    args: ["registry", "list", NAME, "--registry", place.location, "--json"],
    env: place.env,
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  assert.equal(code, 0, stderr);
  const { models } = JSON.parse(stdout) as { models: { name: string; version: number }[] };
  assert.ok(models.every((m) => m.name === NAME));
  return models.map((m) => m.version);
}

/** Folders named like leftovers of killed runs: staging folders beside the versions, work folders. */
async function leftovers(place: Place, dir: string) {
  const models = await entries(join(place.artifacts, NAME)).catch(() => [] as string[]);
  const work = place.location.startsWith("postgres")
    ? (await entries(dir)).filter((n) => n.startsWith("mmml-train-"))
    : await entries(join(place.artifacts, ".work")).catch(() => [] as string[]);
  return {
    staging: models.filter((n) => n.startsWith(".staging-")).length,
    versionFolders: models.filter((n) => VERSION_DIR.test(n)).map((n) => Number(n.slice(1))),
    work: work.length,
  };
}

async function concurrentTrainings(backend: TestBackend): Promise<void> {
  await withTempDir(async (dir) => {
    const place = placeFor(backend, dir);
    try {
      const t0 = performance.now();
      const runs = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) => startTraining(place, dir, 100 + i).done),
      );
      const trainedMs = performance.now() - t0;
      for (const r of runs) assert.equal(r.status.code, 0, r.stderr);
      const all = Array.from({ length: CONCURRENT }, (_, i) => i + 1);
      assert.deepEqual(runs.map((r) => r.result!.version).sort((a, b) => a - b), all);
      const seeds = await assertConsistentFresh(place);
      assert.deepEqual(await cliListedVersions(place), all);
      // Each version holds the artifacts of the process that was told its number.
      for (const [i, r] of runs.entries()) assert.equal(seeds[r.result!.version - 1], 100 + i);
      console.error(
        `${backend.label}: ${CONCURRENT} concurrent trainings in ${(trainedMs / 1000).toFixed(1)} s ` +
          `(each ${runs.map((r) => (r.ms / 1000).toFixed(1)).join(", ")} s) -> versions ${all.join(",")}`,
      );
    } finally {
      await stopAll();
      await backend.cleanup(dir);
    }
  });
}

/** The median of the last five values; 0 for none. */
function medianOfLast(values: number[]): number {
  const last = values.slice(-5).sort((a, b) => a - b);
  return last.length ? last[last.length >> 1] : 0;
}

/**
 * `count` uniform draws in [0, 1), the first `n` stratified (one in each n-th of the interval, in random
 * order) so that the planned kills spread over the whole run instead of bunching by chance.
 */
function stratifiedDraws(rng: Rng, n: number, count: number): number[] {
  const strata = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [strata[i], strata[j]] = [strata[j], strata[i]];
  }
  return Array.from({ length: count }, (_, i) => i < n ? (strata[i] + rng.next()) / n : rng.next());
}

/** Runs `mmml train` and SIGKILLs it `atMs` after its start, unless it ended first. */
async function trainAndKill(place: Place, dir: string, seed: number, atMs: number): Promise<RunEnd> {
  const run = startTraining(place, dir, seed);
  const timer = setTimeout(() => {
    try {
      run.child.kill("SIGKILL");
    } catch { /* it already ended: its status says so */ }
  }, atMs);
  return await run.done.finally(() => clearTimeout(timer));
}

async function killedTrainings(backend: TestBackend): Promise<void> {
  await withTempDir(async (dir) => {
    const place = placeFor(backend, dir);
    try {
      // Calibration: AT_ONCE full runs side by side, as loaded as the runs that will be killed.
      const calibration = await Promise.all(
        Array.from({ length: AT_ONCE }, (_, i) => startTraining(place, dir, i).done),
      );
      for (const r of calibration) assert.equal(r.status.code, 0, r.stderr);
      // A full run's length: the median of the last runs that ended on their own, so it follows the load
      // of this shared machine; the calibration runs start at one instant and run slower than later ones.
      const fullRuns = calibration.map((r) => r.ms);
      const fullMs = () => medianOfLast(fullRuns);
      const calibratedMs = fullMs();
      /** When runs logged their data loaded: where startup ends, for kills aimed past it. */
      const dataLoaded: number[] = [];
      const draws = stratifiedDraws(createRng(5), KILLS, 3 * KILLS);
      /** Training seed of each committed version (the run's --seed; runs are seeded 0, 1, 2, ...). */
      const committed = new Map(calibration.map((r, i) => [r.result!.version, i]));
      const phases = new Map<string, number>();
      let [kills, finished, running, spawned, aimed] = [0, 0, 0, 0, 0];
      // One reader stays open throughout, as a server would, and checks the registry after every run
      // while the other runs train, publish and die.
      const reader = await openRegistry(place.location, { artifacts: place.artifacts });
      // AT_ONCE workers keep that many runs alive until KILLS kills have landed; a run that ends before
      // its kill moment does not count, so another takes its place. Should fewer than LATE_KILLS of them
      // land after startup, further kills are drawn uniformly between startup's end and the run's end.
      const worker = async () => {
        const late = () => kills - (phases.get(BEFORE_ANY_LOG) ?? 0);
        while (kills + running < KILLS || late() < LATE_KILLS) {
          assert.ok(spawned < draws.length, `only ${kills} of ${spawned} runs were killed before they ended`);
          const n = spawned++;
          const seed = AT_ONCE + n;
          const span = KILL_SPAN * fullMs();
          const from = kills + running < KILLS ? 0 : Math.min(medianOfLast(dataLoaded), span);
          if (from > 0) aimed++;
          running++;
          const end = await trainAndKill(place, dir, seed, from + draws[n] * (span - from));
          running--;
          const loaded = end.logs.find((l) => l.msg.startsWith("data: "));
          if (loaded) dataLoaded.push(loaded.at);
          if (end.status.signal === "SIGKILL") {
            phases.set(phaseOf(end.logs), (phases.get(phaseOf(end.logs)) ?? 0) + 1);
            kills++;
          } else {
            assert.equal(end.status.code, 0, `a run neither finished nor was killed: ${end.stderr}`);
            finished++;
            fullRuns.push(end.ms);
          }
          const v = committedVersion(end);
          if (v !== null) {
            assert.ok(!committed.has(v), `v${v} committed by two runs`);
            committed.set(v, seed);
          }
          await assertConsistent(reader, place);
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: AT_ONCE }, worker)).finally(() => reader.close());
      const killMs = performance.now() - t0;
      const seeds = await assertConsistentFresh(place);
      // None lost: every committed version is visible and holds its own run's artifacts. (A run killed
      // between COMMIT and its log line committed a version nobody reported: visible, and allowed.)
      for (const [v, seed] of committed) assert.equal(seeds[v - 1], seed, `committed v${v} lost`);
      const left = await leftovers(place, dir);
      const orphans = left.versionFolders.length - seeds.length;

      const final = await startTraining(place, dir, 999).done;
      assert.equal(final.status.code, 0, final.stderr);
      assert.equal(final.result!.version, seeds.length + 1);
      const after = Array.from({ length: seeds.length + 1 }, (_, i) => i + 1);
      assert.deepEqual(await assertConsistentFresh(place), [...seeds, 999]);
      assert.deepEqual(await cliListedVersions(place), after);
      // The final publish swept any folder a publish killed between its rename and COMMIT left behind.
      assert.deepEqual((await leftovers(place, dir)).versionFolders.sort((a, b) => a - b), after);
      // Opening the registry removed every staging folder of a killed publish (their owner is dead).
      assert.equal((await leftovers(place, dir)).staging, 0, "a killed publish left its staging folder");
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      console.error(
        `${backend.label}: full run ${s(calibratedMs)} with ${AT_ONCE} at once, ${s(fullMs())} at the end; ` +
          `${kills} kills of ${spawned} runs in ${s(killMs)} (${
            [...phases].map((e) => e.join(": ")).join("; ")
          }` +
          `), ${aimed} aimed past startup, ${finished} ended before their kill; left: ` +
          `${left.staging} staging folders (killed inside register), ${orphans} orphan version folders, ` +
          `${left.work} work folders; ` +
          `visible v1..v${seeds.length} (${committed.size} reported), the final run got v${seeds.length + 1}`,
      );
    } finally {
      await stopAll();
      await backend.cleanup(dir);
    }
  });
}

Deno.test("SQLite registry gets versions 1..8 from 8 concurrent mmml train processes", () =>
  concurrentTrainings(SQLITE_BACKEND));

Deno.test({
  name: pgTestName("PostgreSQL registry gets versions 1..8 from 8 concurrent mmml train processes"),
  ignore: PG_SKIP !== null,
  fn: () => concurrentTrainings(POSTGRES_BACKEND),
});

Deno.test("SQLite registry stays consistent after 20 SIGKILLs at random moments of mmml train", () =>
  killedTrainings(SQLITE_BACKEND));

Deno.test({
  name: pgTestName("PostgreSQL registry stays consistent after 20 SIGKILLs at random moments of mmml train"),
  ignore: PG_SKIP !== null,
  fn: () => killedTrainings(POSTGRES_BACKEND),
});
