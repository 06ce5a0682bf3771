/**
 * Train/validation/test split of row indices. Stratified by default: each class is shuffled (seeded) and
 * cut in proportion, with the split sizes allocated across classes by largest remainder so that the
 * totals match the requested fractions, then raised so that every class with >= 3 rows reaches every
 * split (a validation or test set missing a class makes its metrics lie).
 */
import { MmmlError } from "../errors.ts";
import { createRng, permutation, shuffleInPlace } from "../random.ts";

export interface SplitOptions {
  /** Fraction of rows for validation, in [0, 1); 0 = no validation split. */
  validation: number;
  /** Fraction of rows for test, in [0, 1); 0 = no test split (an explicit test file). */
  test: number;
  seed: number;
  /** Keep class proportions in every split. */
  stratify?: boolean;
}

/** Row indices of each split, ascending. */
export interface Split {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/** Smallest class that is guaranteed a row in every split. */
const MIN_CLASS_ROWS_FOR_EVERY_SPLIT = 3;

/** Splits rows by their class labels (class indices); deterministic for a seed. */
export function stratifiedSplit(
  labels: Int32Array,
  { validation, test, seed, stratify = true }: SplitOptions,
): Split {
  checkFractions(validation, test);
  const rng = createRng(seed);
  const n = labels.length;
  let parts: { train: number[]; val: number[]; test: number[] };
  if (stratify) {
    const groups = groupByClass(labels).filter((g) => g.length > 0);
    for (const g of groups) shuffleInPlace(g, rng);
    const counts = groups.map((g) => g.length);
    const testCounts = allocate(counts, test);
    const valCounts = allocate(counts, validation);
    parts = { train: [], val: [], test: [] };
    groups.forEach((g, c) => {
      const [t, v] = ensureEveryClass(g.length, testCounts[c], valCounts[c], test > 0, validation > 0);
      // A loop, not push(...rows): spreading 100k+ arguments overflows the stack.
      for (let i = 0; i < g.length; i++) {
        (i < t ? parts.test : i < t + v ? parts.val : parts.train).push(g[i]);
      }
    });
  } else {
    const order = Array.from(permutation(n, rng));
    const t = Math.round(n * test);
    const v = Math.round(n * validation);
    parts = { test: order.slice(0, t), val: order.slice(t, t + v), train: order.slice(t + v) };
  }
  checkNotEmpty(n, parts.train.length, "train", 1 - validation - test);
  if (validation > 0) checkNotEmpty(n, parts.val.length, "validation", validation);
  if (test > 0) checkNotEmpty(n, parts.test.length, "test", test);
  return {
    train: Int32Array.from(parts.train).sort(),
    val: Int32Array.from(parts.val).sort(),
    test: Int32Array.from(parts.test).sort(),
  };
}

function checkFractions(validation: number, test: number): void {
  for (const [key, value] of [["validation", validation], ["test", test]] as const) {
    if (!(value >= 0 && value < 1)) {
      throw new MmmlError(
        "config_invalid",
        `data.split.${key}: expected a fraction in [0, 1), received ${value}`,
      );
    }
  }
  if (validation + test >= 1) {
    throw new MmmlError(
      "config_invalid",
      `data.split: validation (${validation}) + test (${test}) must be below 1 to leave training rows`,
    );
  }
}

function checkNotEmpty(
  n: number,
  size: number,
  name: "train" | "validation" | "test",
  fraction: number,
): void {
  if (size > 0) return;
  const hint = name === "train"
    ? "lower data.split.validation and data.split.test"
    : `set data.split.${name} to 0`;
  throw new MmmlError(
    "invalid_input",
    `Cannot split ${n} rows: the ${name} split (fraction ${+fraction.toFixed(4)}) would be empty; ` +
      `use more data or ${hint}`,
  );
}

function groupByClass(labels: Int32Array): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c < 0) throw new RangeError(`labels[${i}] is ${c}; class indices are >= 0`);
    while (groups.length <= c) groups.push([]);
    groups[c].push(i);
  }
  return groups;
}

/**
 * Rows per class for a split of `fraction`: floors of the exact shares, then the rows left to reach
 * round(total * fraction) go to the largest remainders (ties to the lower class index).
 */
function allocate(counts: readonly number[], fraction: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const exact = counts.map((c) => c * fraction);
  const alloc = exact.map(Math.floor);
  let rest = Math.round(total * fraction) - alloc.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((_, i) => i).sort((a, b) =>
    (exact[b] - alloc[b]) - (exact[a] - alloc[a]) || a - b
  );
  for (const i of byRemainder) {
    if (rest <= 0) break;
    if (alloc[i] < counts[i]) {
      alloc[i]++;
      rest--;
    }
  }
  return alloc;
}

/** [test, validation] rows of a class: one each where the class is big enough, and >= 1 left to train. */
function ensureEveryClass(
  count: number,
  test: number,
  val: number,
  wantTest: boolean,
  wantVal: boolean,
): [number, number] {
  if (count >= MIN_CLASS_ROWS_FOR_EVERY_SPLIT) {
    if (wantTest && test === 0) test = 1;
    if (wantVal && val === 0) val = 1;
  }
  while (test + val > count - 1) {
    if (test >= val) test--;
    else val--;
  }
  return [test, val];
}
