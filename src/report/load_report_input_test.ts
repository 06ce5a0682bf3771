import { JSON_ARTIFACTS } from "../artifacts/version_files.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fingerprintFile } from "../data/fingerprint.ts";
import { MmmlError } from "../errors.ts";
import { openRegistry } from "../registry/open_registry.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { loadReportInput } from "./load_report_input.ts";
import { sampleReportInput } from "../../testing/report_input.ts";

const CSV = "bill_length_mm,island,species\n39.1,Torgersen,Adelie\n46.5,Dream,Chinstrap\n" +
  "50,Biscoe,Gentoo\n,Biscoe,Gentoo\n38.6,Dream,Adelie\n";

/** Registers a version whose artifacts are the sample input's, trained on `data.csv` in `dir`. */
async function registerSample(
  dir: string,
  { roc }: { roc?: unknown } = {},
): Promise<ModelVersion> {
  await Deno.writeTextFile(join(dir, "data.csv"), CSV);
  const input = sampleReportInput();
  const registry = await openRegistry(join(dir, "models"));
  try {
    return await registry.register("penguins", {
      ...input.meta,
      data_fingerprint: await fingerprintFile(join(dir, "data.csv")),
    }, async (out) => {
      const json = (file: string, value: unknown) =>
        Deno.writeTextFile(join(out, file), JSON.stringify(value));
      await json("metrics.json", input.metrics);
      // A relative data path, as `mmml train --data data.csv` records it.
      await json("config.json", {
        ...(input.config as object),
        data: { path: "data.csv", label: "species" },
      });
      await json("schema.json", input.schema);
      await json(JSON_ARTIFACTS.roc.file, roc === undefined ? input.roc! : roc);
      await json(JSON_ARTIFACTS.data_summary.file, input.data);
    });
  } finally {
    await registry.close();
  }
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mmml_report_input_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadReportInput reads every artifact and summarizes the unchanged training file", () =>
  withDir(async (dir) => {
    const version = await registerSample(dir);
    const sample = sampleReportInput();
    const input = await loadReportInput(version, { cwd: dir, now: new Date("2026-02-03T04:05:06Z") });
    assert.equal(input.meta.version, 1);
    assert.deepEqual(input.metrics, sample.metrics);
    assert.deepEqual(input.roc, sample.roc);
    assert.deepEqual(input.data, sample.data);
    assert.equal(input.schema?.label, "species");
    assert.equal(input.generatedAt, "2026-02-03T04:05:06.000Z");
    assert.deepEqual(input.notes, []);
    assert.equal(input.dataInfo?.rows, 5);
    const bill = input.dataInfo!.columns.find((c) => c.name === "bill_length_mm")!;
    assert.deepEqual([bill.type, bill.missing, bill.min, bill.max], ["numeric", 1, 38.6, 50]);
    assert.deepEqual(input.dataInfo!.classBalance, { Adelie: 2, Chinstrap: 1, Gentoo: 2 });
  }));

Deno.test("loadReportInput leaves column statistics out, and says why, when the file changed or is gone", () =>
  withDir(async (dir) => {
    const version = await registerSample(dir);
    await Deno.writeTextFile(join(dir, "data.csv"), CSV + "40,Dream,Adelie\n");
    const changed = await loadReportInput(version, { cwd: dir });
    assert.equal(changed.dataInfo, null);
    assert.match(changed.notes![0], /data\.csv has changed since training \(its sha256 differs\)/);
    await Deno.remove(join(dir, "data.csv"));
    const gone = await loadReportInput(version, { cwd: dir });
    assert.equal(gone.dataInfo, null);
    assert.match(gone.notes![0], /data\.csv is no longer there/);
    const skipped = await loadReportInput(version, { cwd: dir, readData: false });
    assert.deepEqual([skipped.dataInfo, skipped.notes], [null, []]);
  }));

Deno.test("loadReportInput refuses a damaged roc.json naming the version, the file and the field", () =>
  withDir(async (dir) => {
    const roc = structuredClone(sampleReportInput().roc!) as { splits: { test: { n: unknown } } };
    roc.splits.test.n = -4;
    const version = await registerSample(dir, { roc });
    await assert.rejects(
      () => loadReportInput(version, { cwd: dir }),
      (e) =>
        e instanceof MmmlError && e.code === "artifact_corrupt" &&
        e.message.includes(`penguins@1: ${join(version.dir, "roc.json")}: `) &&
        /splits\.test\.n: .*received -4/.test(e.message),
    );
  }));

Deno.test("loadReportInput needs metrics.json and works without the optional artifacts", () =>
  withDir(async (dir) => {
    const version = await registerSample(dir);
    for (
      const file of [JSON_ARTIFACTS.roc.file, JSON_ARTIFACTS.data_summary.file, "schema.json", "config.json"]
    ) {
      await Deno.remove(join(version.dir, file));
    }
    const input = await loadReportInput(version, { cwd: dir });
    assert.deepEqual([input.roc, input.data, input.schema, input.config, input.dataInfo], [
      null,
      null,
      null,
      undefined,
      null,
    ]);
    await Deno.remove(join(version.dir, "metrics.json"));
    await assert.rejects(
      () => loadReportInput(version, { cwd: dir }),
      // A registered version's file was hashed when it was published: missing, it is damage.
      (e) =>
        e instanceof MmmlError && e.code === "artifact_corrupt" &&
        e.message === `penguins@1: ${join(version.dir, "metrics.json")} is missing`,
    );
  }));
