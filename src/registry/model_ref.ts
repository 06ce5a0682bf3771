/**
 * Model references (`penguins`, `penguins@3`, `penguins@latest`, `penguins@best`, `penguins@production`)
 * and the rule that picks a version for one. Storage-free, so the folder registry and the SQL registry
 * of issue 5 resolve references the same way.
 */
import { describeValue, MmmlError } from "../errors.ts";
import type { ModelVersion } from "./registry_types.ts";

/** Letters, digits, '_', '.', '-', starting with a letter or digit (so never "." or ".."). */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const MAX_NAME_LENGTH = 128;

/** What follows the "@" of a reference. */
export type RefSelector =
  | { kind: "latest" }
  | { kind: "best" }
  | { kind: "version"; version: number }
  | { kind: "stage"; stage: string };

/** A parsed reference; `text` is the reference as written, for messages. */
export interface ModelRef {
  name: string;
  selector: RefSelector;
  text: string;
}

/**
 * The metrics `@best` ranks by, most important first, and which way is better; a later one only breaks
 * ties of those before it. Classifiers record macro F1 and accuracy, regressions RMSE (lowest wins).
 */
export const BEST_BY = [
  { key: "val.macro_f1", sign: 1 },
  { key: "val.accuracy", sign: 1 },
  { key: "val.rmse", sign: -1 },
] as const;

function checkIdentifier(value: string, what: string, ref: string): void {
  if (value.length > MAX_NAME_LENGTH || !MODEL_NAME_PATTERN.test(value)) {
    throw new MmmlError(
      "invalid_input",
      `Invalid model reference ${describeValue(ref)}: the ${what} must be 1-${MAX_NAME_LENGTH} letters, ` +
        `digits, '_', '.', '-' starting with a letter or digit, received ${describeValue(value)}`,
    );
  }
}

/** Throws MmmlError "invalid_input" unless `name` is a valid model name; returns it. */
export function validateModelName(name: string): string {
  checkIdentifier(name, "name", name);
  return name;
}

/** Throws MmmlError "invalid_input" unless `stage` can name a stage (not a number, "latest" or "best"). */
export function validateStageName(stage: string): string {
  checkIdentifier(stage, "stage", stage);
  if (stage === "latest" || stage === "best" || /^v?\d+$/.test(stage)) {
    throw new MmmlError(
      "invalid_input",
      `Invalid stage ${describeValue(stage)}: "latest", "best" and version numbers are reserved`,
    );
  }
  return stage;
}

/** Parses `NAME` or `NAME@SELECTOR`; "@3" and "@v3" name version 3. */
export function parseModelRef(ref: string): ModelRef {
  if (typeof ref !== "string") {
    throw new MmmlError(
      "invalid_input",
      `A model reference must be a string, received ${describeValue(ref)}`,
    );
  }
  const at = ref.indexOf("@");
  const name = at < 0 ? ref : ref.slice(0, at);
  checkIdentifier(name, "name", ref);
  if (at < 0) return { name, selector: { kind: "latest" }, text: ref };
  const sel = ref.slice(at + 1);
  if (sel === "latest") return { name, selector: { kind: "latest" }, text: ref };
  if (sel === "best") return { name, selector: { kind: "best" }, text: ref };
  const num = /^v?(\d+)$/.exec(sel);
  if (num) {
    const version = Number(num[1]);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new MmmlError(
        "invalid_input",
        `Invalid model reference ${describeValue(ref)}: versions start at 1, received ${describeValue(sel)}`,
      );
    }
    return { name, selector: { kind: "version", version }, text: ref };
  }
  checkIdentifier(sel, "part after '@' (a version, latest, best or a stage)", ref);
  return { name, selector: { kind: "stage", stage: sel }, text: ref };
}

function versionList(versions: readonly ModelVersion[]): string {
  return versions.map((v) => v.meta.version).sort((a, b) => a - b).join(", ");
}

function notFound(ref: ModelRef, location: string, why: string): MmmlError {
  return new MmmlError(
    "model_not_found",
    `Model ${describeValue(ref.text)} not found in ${location}: ${why}`,
    {
      details: { ref: ref.text, location },
    },
  );
}

function score(v: ModelVersion): number[] {
  const metric = (key: string, sign: number) => {
    const value = v.meta.metrics?.[key];
    return Number.isFinite(value) ? sign * value : -Infinity;
  };
  return [...BEST_BY.map(({ key, sign }) => metric(key, sign)), v.meta.version];
}

/**
 * Picks the version `ref` names among `versions` (all of `ref.name`, any order): the highest number for
 * latest; the highest val.macro_f1, then val.accuracy, then the lowest val.rmse, then number for best;
 * the highest number whose
 * stages include the stage. Throws MmmlError "model_not_found" listing what is there instead.
 */
export function selectVersion(
  ref: ModelRef,
  versions: readonly ModelVersion[],
  location: string,
): ModelVersion {
  const own = versions.filter((v) => v.meta.name === ref.name);
  if (own.length === 0) throw notFound(ref, location, `there is no version of ${ref.name}`);
  const newest = (vs: readonly ModelVersion[]) =>
    vs.reduce((a, b) => (b.meta.version > a.meta.version ? b : a));
  const sel = ref.selector;
  switch (sel.kind) {
    case "latest":
      return newest(own);
    case "version": {
      const hit = own.find((v) => v.meta.version === sel.version);
      if (!hit) throw notFound(ref, location, `versions of ${ref.name} are ${versionList(own)}`);
      return hit;
    }
    case "best": {
      const ranked = own.filter((v) => BEST_BY.some(({ key }) => Number.isFinite(v.meta.metrics?.[key])));
      if (ranked.length === 0) {
        throw notFound(
          ref,
          location,
          `no version of ${ref.name} (${versionList(own)}) has ${
            BEST_BY.map((b) => b.key).join(" or ")
          } in its metrics`,
        );
      }
      return ranked.reduce((a, b) => {
        const sa = score(a), sb = score(b);
        const i = sa.findIndex((x, j) => x !== sb[j]);
        return i >= 0 && sb[i] > sa[i] ? b : a;
      });
    }
    case "stage": {
      const staged = own.filter((v) => v.meta.stages?.includes(sel.stage));
      if (staged.length === 0) {
        const inUse = own.filter((v) => v.meta.stages?.length).map((v) =>
          `v${v.meta.version}: ${v.meta.stages.join(", ")}`
        );
        throw notFound(
          ref,
          location,
          `no version of ${ref.name} is in stage ${describeValue(sel.stage)}; ` +
            (inUse.length ? `stages in use are ${inUse.join("; ")}` : "no version has a stage") +
            `; versions are ${versionList(own)}`,
        );
      }
      return newest(staged);
    }
  }
}

/** Tags are free-form labels; only control characters and empty or very long ones are refused. */
export function validateTag(tag: string): string {
  // deno-lint-ignore no-control-regex
  if (typeof tag !== "string" || tag.length === 0 || tag.length > 200 || /[\u0000-\u001f]/.test(tag)) {
    throw new MmmlError(
      "invalid_input",
      `Invalid tag ${describeValue(tag)}: expected 1-200 characters without control characters`,
    );
  }
  return tag;
}
