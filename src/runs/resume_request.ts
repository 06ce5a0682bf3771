/**
 * What `mmml train --resume NAME@VER` or `--resume-dir DIR` may change about the run it continues: only
 * the epoch count, the name, the registry and the progress bar. Everything else would make it a
 * different run, so the flags that would change it are refused with the reason.
 */
import { isAbsolute, join } from "node:path";
import { parseSet } from "../config/overrides.ts";
import { describeValue, MmmlError } from "../errors.ts";

/** What `mmml train --resume...` asks for: a source, and the few settings a continuation may change. */
export interface ResumeRequest {
  /** A registered version: NAME@VER (or NAME, NAME@latest...). */
  ref?: string;
  /** A work folder a killed run left behind (printed when that run started). */
  dir?: string;
  epochs?: number;
  name?: string;
  registry?: string;
  artifacts?: string;
  progress?: boolean;
  /** --keep-checkpoints: keep this continuation's checkpoints in its version whatever their size. */
  keepCheckpoints?: boolean;
}

/** `--set` keys a resumed run accepts; anything else would make it a different run. */
const RESUME_SETS = {
  "training.epochs": "epochs",
  "training.progress": "progress",
  "registry.path": "registry",
  "registry.name": "name",
  "registry.artifacts": "artifacts",
} as const satisfies Record<string, keyof ResumeRequest>;

/** Train flags that would change what the checkpoint was trained on. */
const FIXED_FLAGS = [
  "data",
  "label",
  "problem-type",
  "test",
  "model",
  "batch-size",
  "lr",
  "lr-schedule",
  "seed",
  "backend",
  "image-size",
  "pretrained",
  "threads",
  "freeze-backbone",
  "config",
] as const;

/**
 * Checks the flags given with --resume or --resume-dir (parsed `mmml train` values) and returns the
 * request; `cwd` resolves a relative --resume-dir. Any flag but --epochs, --name, --registry,
 * --keep-checkpoints and --json (or --set of those) is a usage error saying why.
 */
export function parseResumeRequest(values: Record<string, unknown>, cwd: string): ResumeRequest {
  const ref = values.resume as string | undefined, dir = values["resume-dir"] as string | undefined;
  if (ref !== undefined && dir !== undefined) {
    throw new MmmlError("usage", "give either --resume NAME@VERSION or --resume-dir DIR, not both");
  }
  const source = ref !== undefined ? "--resume" : "--resume-dir";
  const refuse = (what: string[]) =>
    new MmmlError(
      "usage",
      `${source} continues a run with its saved config (data, preprocessing, model, optimizer, seed), ` +
        `so it cannot change ${what.join(", ")}; only --epochs, --name and --registry may be given ` +
        `(or --set training.epochs=N)`,
    );
  const given = FIXED_FLAGS.filter((flag) => {
    const v = values[flag];
    return !(v === undefined || v === false || (Array.isArray(v) && v.length === 0));
  });
  if (given.length) throw refuse(given.map((flag) => `--${flag}`));
  const request: ResumeRequest = {
    ...(values["keep-checkpoints"] === true ? { keepCheckpoints: true } : {}),
    ref,
    dir: dir === undefined || isAbsolute(dir) ? dir : join(cwd, dir),
    epochs: values.epochs === undefined ? undefined : Number(values.epochs),
    name: values.name as string | undefined,
    registry: values.registry as string | undefined,
  };
  for (const text of (values.set as string[] | undefined) ?? []) {
    const { path, valueText } = parseSet(text);
    const key = path.join(".");
    if (!(key in RESUME_SETS)) throw refuse([`--set ${key}`]);
    const field = RESUME_SETS[key as keyof typeof RESUME_SETS];
    if (field === "epochs") {
      const n = Number(valueText);
      if (!(Number.isInteger(n) && n > 0)) {
        throw new MmmlError(
          "usage",
          `--set training.epochs: expected a positive integer, received ${describeValue(valueText)}`,
        );
      }
      request.epochs = n;
    } else if (field === "progress") {
      if (valueText !== "true" && valueText !== "false") {
        throw new MmmlError(
          "usage",
          `--set training.progress: expected true or false, received ${describeValue(valueText)}`,
        );
      }
      request.progress = valueText === "true";
    } else {
      request[field] = valueText;
    }
  }
  if (request.epochs !== undefined && !(Number.isInteger(request.epochs) && request.epochs > 0)) {
    throw new MmmlError(
      "usage",
      `--epochs: expected a positive integer, received ${describeValue(values.epochs)}`,
    );
  }
  return request;
}
