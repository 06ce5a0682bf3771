/**
 * What a resumable checkpoint holds besides the weights: the epochs done and their logs, the optimizer's
 * slots (Adam moments or momentum accumulators, and its step count), the callbacks' state (best figure,
 * wait) and the run's seed. Randomness needs no saved stream: every shuffle order and dropout mask is
 * derived from the seed and the epoch (and step), see deriveSeed in src/random.ts, so the seed and the next epoch suffice.
 *
 * On disk: trainer_state.json, with each Float32Array replaced by {"$f32": [offset, length]} into
 * trainer_state.bin (little-endian float32), and non-finite numbers as {"$num": "NaN"}.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { z } from "zod";
import { MmmlError } from "../errors.ts";
import type { OptimizerConfig } from "../config/schema.ts";
import { betaPowers } from "./optimizers/beta_powers.ts";

/** The JSON file of a trainer state inside a checkpoint folder. */
export const TRAINER_STATE_FILE = "trainer_state.json";
/** The float32 arrays the JSON file points into. */
export const TRAINER_STATE_BIN = "trainer_state.bin";
const FORMAT = "mmml-trainer-state/1";

// JSON cannot hold NaN or Infinity (a best figure before the first epoch, a diverged loss); the codec can.
const AnyNumber = z.custom<number>((v) => typeof v === "number", "expected a number");
const Floats = z.custom<Float32Array>(
  (v) => v instanceof Float32Array,
  "expected float32 values in trainer_state.bin",
);

/**
 * Optimizer slots in tfjs `optimizer.getWeights()` order without the iteration counter: Adam's first
 * moments for every trainable variable, then its second moments; momentum's accumulators; none for SGD.
 * The fused dense engine uses the same order and layout, so either engine restores the other's state.
 */
export const OptimizerState = z.strictObject({
  name: z.enum(["adam", "sgd"]),
  /** Optimizer steps taken (Adam's bias correction depends on it). */
  step: z.number().int().nonnegative(),
  slots: z.array(Floats),
});
export type OptimizerState = z.infer<typeof OptimizerState>;

/** The trainer's state after a finished epoch. */
export const TrainerState = z.strictObject({
  /** Epochs finished; training resumes at epoch + 1. */
  epoch: z.number().int().positive(),
  /** The run's seed: with the epoch it fixes every later shuffle and dropout mask. */
  seed: z.number().int().nonnegative(),
  engine: z.enum(["tfjs", "fused"]),
  optimizer: OptimizerState,
  /** One EpochLog per finished epoch. */
  history: z.array(z.record(z.string(), AnyNumber)),
  monitor: z.string(),
  best_epoch: z.number().int().nonnegative(),
  best: AnyNumber,
  train_seconds: z.number().nonnegative(),
  samples: z.number().int().nonnegative(),
  /** Each stateful callback's getState(), by its stateKey. */
  callbacks: z.record(z.string(), z.unknown()),
});
export type TrainerState = z.infer<typeof TrainerState>;

const StateFile = z.strictObject({
  format: z.literal(FORMAT),
  bin_bytes: z.number().int().nonnegative(),
  state: z.unknown(),
});

/** Writes DIR/trainer_state.bin, then DIR/trainer_state.json (so a JSON file always has its floats). */
export async function writeTrainerState(dir: string, state: TrainerState): Promise<void> {
  const chunks: Float32Array[] = [];
  let floats = 0;
  const encode = (value: unknown): unknown => {
    if (value instanceof Float32Array) {
      const ref = { $f32: [floats, value.length] };
      chunks.push(value);
      floats += value.length;
      return ref;
    }
    if (typeof value === "number") return Number.isFinite(value) ? value : { $num: String(value) };
    if (Array.isArray(value)) return value.map(encode);
    if (ArrayBuffer.isView(value)) {
      throw new TypeError(
        `writeTrainerState: only Float32Array is supported, received ${value.constructor.name}`,
      );
    }
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
    }
    return value;
  };
  const json = { format: FORMAT, bin_bytes: 0, state: encode(TrainerState.parse(state)) };
  const bin = new Float32Array(floats);
  let at = 0;
  for (const chunk of chunks) bin.set(chunk, (at += chunk.length) - chunk.length);
  json.bin_bytes = bin.byteLength;
  await Deno.writeFile(join(dir, TRAINER_STATE_BIN), new Uint8Array(bin.buffer));
  await Deno.writeTextFile(join(dir, TRAINER_STATE_FILE), JSON.stringify(json) + "\n");
}

/** Whether DIR holds a trainer state (a checkpoint written by a resumable run). */
export async function hasTrainerState(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(join(dir, TRAINER_STATE_FILE))).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Reads a state written by writeTrainerState; fails naming the file and the field that is wrong. */
export async function loadTrainerState(dir: string): Promise<TrainerState> {
  const jsonPath = join(dir, TRAINER_STATE_FILE), binPath = join(dir, TRAINER_STATE_BIN);
  const corrupt = (path: string, why: string, cause?: unknown) =>
    new MmmlError("artifact_corrupt", `Cannot load the trainer state "${path}": ${why}`, { cause });
  const read = async <T>(path: string, how: (p: string) => Promise<T>): Promise<T> => {
    try {
      return await how(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new MmmlError("file_not_found", `Cannot load the trainer state: "${path}" does not exist`, {
          cause: err,
        });
      }
      throw corrupt(path, (err as Error).message, err);
    }
  };
  let raw: unknown;
  try {
    raw = JSON.parse(await read(jsonPath, Deno.readTextFile));
  } catch (err) {
    if (err instanceof MmmlError) throw err;
    throw corrupt(jsonPath, `not valid JSON (${(err as Error).message})`, err);
  }
  const file = StateFile.safeParse(raw);
  if (!file.success) throw corrupt(jsonPath, issueText(file.error));
  const bytes = await read(binPath, Deno.readFile);
  if (bytes.byteLength !== file.data.bin_bytes) {
    throw corrupt(
      binPath,
      `expected ${file.data.bin_bytes} bytes (per ${TRAINER_STATE_FILE}), received ${bytes.byteLength}`,
    );
  }
  const bin = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const decode = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => decode(v, `${path}.${i}`));
    if (value === null || typeof value !== "object") return value;
    const keys = Object.keys(value);
    const obj = value as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === "$f32") {
      const [offset, length] = Array.isArray(obj.$f32) ? obj.$f32 : [];
      if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0)) {
        throw corrupt(
          jsonPath,
          `${path}: expected {"$f32": [offset, length]}, received ${JSON.stringify(obj)}`,
        );
      }
      if (offset + length > bin.length) {
        throw corrupt(
          binPath,
          `${path} reads floats ${offset}..${offset + length}, the file holds ${bin.length}`,
        );
      }
      return bin.slice(offset, offset + length);
    }
    if (keys.length === 1 && keys[0] === "$num") {
      if (!["NaN", "Infinity", "-Infinity"].includes(obj.$num as string)) {
        throw corrupt(
          jsonPath,
          `${path}: expected "NaN", "Infinity" or "-Infinity", received ${JSON.stringify(obj.$num)}`,
        );
      }
      return Number(obj.$num);
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, decode(v, `${path}.${k}`)]));
  };
  const state = TrainerState.safeParse(decode(file.data.state, "state"));
  if (!state.success) throw corrupt(jsonPath, issueText(state.error, "state"));
  if (state.data.history.length !== state.data.epoch) {
    throw corrupt(
      jsonPath,
      `state.history: expected ${state.data.epoch} epoch logs, received ${state.data.history.length}`,
    );
  }
  return state.data;
}

function issueText(error: z.ZodError, prefix = ""): string {
  const issue = error.issues[0];
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
  return `${path || "(root)"}: ${issue.message}`;
}

/** The live slots of a tfjs optimizer (copied out), in OptimizerState order. */
export async function readTfjsOptimizerState(
  optimizer: tf.Optimizer,
  config: OptimizerConfig,
): Promise<OptimizerState> {
  const [iterations, ...slots] = await optimizer.getWeights();
  try {
    const step = (await iterations.tensor.data())[0];
    // The slot tensors are the optimizer's own variables: copy their values, never dispose them.
    const values = await Promise.all(slots.map(async (s) => Float32Array.from(await s.tensor.data())));
    return { name: config.name, step, slots: values };
  } finally {
    iterations.tensor.dispose();
  }
}

/**
 * Puts saved slots into a fresh tfjs optimizer for `variables` (the trainable weights, in the order the
 * engine passes them to minimize). Adam's running powers of beta are then set to the float32 products an
 * uninterrupted run accumulates, not tfjs's pow(), so a resumed run takes the very same steps.
 */
export async function restoreTfjsOptimizerState(
  optimizer: tf.Optimizer,
  variables: readonly tf.Variable[],
  state: OptimizerState,
  config: OptimizerConfig,
): Promise<void> {
  if (state.name !== config.name) {
    throw new MmmlError(
      "schema_mismatch",
      `checkpoint optimizer state: training.optimizer.name is "${config.name}", the checkpoint holds "${state.name}" state`,
    );
  }
  const perVariable = config.name === "adam" ? 2 : config.momentum > 0 ? 1 : 0;
  // A run that has not stepped yet has no slots, whatever the optimizer.
  const expected = state.step === 0 && state.slots.length === 0 ? 0 : perVariable * variables.length;
  if (state.slots.length !== expected) {
    throw new MmmlError(
      "schema_mismatch",
      `checkpoint optimizer state: ${config.name} over ${variables.length} trainable weights expects ` +
        `${expected} slot arrays, received ${state.slots.length}`,
    );
  }
  state.slots.forEach((slot, i) => {
    const v = variables[i % variables.length];
    if (slot.length !== v.size) {
      throw new MmmlError(
        "schema_mismatch",
        `checkpoint optimizer state: slot ${i} holds ${slot.length} values, weight "${v.name}" [${v.shape}] has ${v.size}`,
      );
    }
  });
  const tensors = [
    tf.scalar(state.step, "int32"),
    ...state.slots.map((slot, i) => tf.tensor(slot, variables[i % variables.length].shape, "float32")),
  ];
  try {
    await optimizer.setWeights(tensors.map((tensor, i) => ({ name: `slot_${i}`, tensor })));
  } finally {
    // setWeights turned them into variables of their own.
    tf.dispose(tensors);
  }
  if (config.name === "adam") {
    const adam = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
    const powers = betaPowers(config.beta1, config.beta2, state.step);
    tf.tidy(() => {
      adam.accBeta1?.assign(tf.scalar(powers[0]));
      adam.accBeta2?.assign(tf.scalar(powers[1]));
    });
  }
}
