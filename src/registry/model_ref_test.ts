import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { parseModelRef, selectVersion, validateModelName, validateStageName } from "./model_ref.ts";
import type { ModelMeta, ModelVersion } from "./registry_types.ts";

function version(v: number, metrics: Record<string, number> = {}, stages: string[] = []): ModelVersion {
  const meta: ModelMeta = {
    name: "penguins",
    version: v,
    task: "tabular",
    arch: "mlp",
    created: "2024-01-01T00:00:00.000Z",
    backend: "wasm",
    classes: ["a", "b"],
    metrics,
    timings: {},
    data_fingerprint: "",
    input_shape: [4],
    stages,
    tags: [],
    files: {},
  };
  return { meta, dir: `/models/penguins/v${v}` };
}

function rejects(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MmmlError, `expected MmmlError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("parseModelRef reads a bare name as latest and @N, @vN as versions", () => {
  assert.deepEqual(parseModelRef("penguins").selector, { kind: "latest" });
  assert.deepEqual(parseModelRef("penguins@latest").selector, { kind: "latest" });
  assert.deepEqual(parseModelRef("penguins@best").selector, { kind: "best" });
  assert.deepEqual(parseModelRef("penguins@3"), {
    name: "penguins",
    selector: { kind: "version", version: 3 },
    text: "penguins@3",
  });
  assert.deepEqual(parseModelRef("pen.guins_2-x@v12").selector, { kind: "version", version: 12 });
  assert.deepEqual(parseModelRef("penguins@production").selector, { kind: "stage", stage: "production" });
});

Deno.test("parseModelRef rejects bad names, version 0 and an empty selector, naming what it received", () => {
  rejects(() => parseModelRef("pen guins"), "invalid_input", /name must be .* received "pen guins"/);
  rejects(() => parseModelRef("../etc"), "invalid_input", /received "..\/etc"/);
  rejects(() => parseModelRef(".hidden"), "invalid_input", /received ".hidden"/);
  rejects(() => parseModelRef("@3"), "invalid_input", /received ""/);
  rejects(() => parseModelRef("penguins@0"), "invalid_input", /versions start at 1, received "0"/);
  rejects(() => parseModelRef("penguins@"), "invalid_input", /after '@'.*received ""/);
  rejects(() => parseModelRef("penguins@a@b"), "invalid_input", /received "a@b"/);
  rejects(() => validateModelName("x".repeat(129)), "invalid_input", /1-128/);
  rejects(() => validateStageName("best"), "invalid_input", /reserved/);
  rejects(() => validateStageName("v2"), "invalid_input", /reserved/);
  assert.equal(validateStageName("production"), "production");
});

Deno.test("selectVersion picks latest, an exact version, best by val.macro_f1 then val.accuracy, and stages", () => {
  const vs = [
    version(2, { "val.macro_f1": 0.9, "val.accuracy": 0.85 }, ["production"]),
    version(1, { "val.macro_f1": 0.8, "val.accuracy": 0.99 }, ["production", "staging"]),
    version(3, { "val.macro_f1": 0.9, "val.accuracy": 0.88 }),
    version(4, { "val.macro_f1": 0.7 }),
  ];
  const pick = (ref: string) => selectVersion(parseModelRef(ref), vs, "models").meta.version;
  assert.equal(pick("penguins"), 4);
  assert.equal(pick("penguins@latest"), 4);
  assert.equal(pick("penguins@2"), 2);
  assert.equal(pick("penguins@best"), 3);
  assert.equal(pick("penguins@production"), 2);
  assert.equal(pick("penguins@staging"), 1);
});

Deno.test("selectVersion @best falls back to val.accuracy and then to the newest on a full tie", () => {
  const byAccuracy = [version(1, { "val.accuracy": 0.7 }), version(2, { "val.accuracy": 0.6 }), version(3)];
  assert.equal(selectVersion(parseModelRef("penguins@best"), byAccuracy, "models").meta.version, 1);
  const tied = [version(1, { "val.macro_f1": 0.5 }), version(2, { "val.macro_f1": 0.5 })];
  assert.equal(selectVersion(parseModelRef("penguins@best"), tied, "models").meta.version, 2);
});

Deno.test("selectVersion reports model_not_found listing the versions and stages there are", () => {
  const vs = [version(1, {}, ["staging"]), version(2)];
  rejects(
    () => selectVersion(parseModelRef("penguins@7"), vs, "models/"),
    "model_not_found",
    /"penguins@7" not found in models\/: versions of penguins are 1, 2/,
  );
  rejects(
    () => selectVersion(parseModelRef("penguins@production"), vs, "models/"),
    "model_not_found",
    /stage "production"; stages in use are v1: staging; versions are 1, 2/,
  );
  rejects(
    () => selectVersion(parseModelRef("penguins@best"), vs, "models/"),
    "model_not_found",
    /val.macro_f1 or/,
  );
  rejects(
    () => selectVersion(parseModelRef("penguins"), [], "models/"),
    "model_not_found",
    /no version of penguins/,
  );
});
