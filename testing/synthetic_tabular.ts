/**
 * Seeded synthetic classification data with numeric and categorical columns and missing cells, for
 * tests, the demo and the 160,000-row benchmark. Classes come from a random linear score over the
 * numeric columns plus per-category offsets, with noise, so a model can learn them but not perfectly.
 */
import { createRng } from "../src/random.ts";

export interface SyntheticTabularOptions {
  rows: number;
  numeric?: number;
  categorical?: number;
  /** Categories per categorical column. */
  levels?: number;
  classes?: number;
  /** Fraction of feature cells left empty. */
  missing?: number;
  /** Standard deviation of the noise added to class scores. */
  noise?: number;
  /** Seed for the rows. */
  seed?: number;
  /**
   * Seed for the labelling function (class weights and category offsets); defaults to `seed`. Train and
   * test files of one task must share it while their row seeds differ.
   */
  taskSeed?: number;
}

/** Returns CSV text with a header; the label column is "label" with values "c0".."c{k-1}". */
export function syntheticTabularCsv(
  {
    rows,
    numeric = 8,
    categorical = 2,
    levels = 4,
    classes = 3,
    missing = 0,
    noise = 0.3,
    seed = 1,
    taskSeed,
  }: SyntheticTabularOptions,
): string {
  const task = createRng(taskSeed ?? seed);
  const weights = Array.from({ length: classes }, () => Array.from({ length: numeric }, () => task.normal()));
  const offsets = Array.from(
    { length: classes },
    () => Array.from({ length: categorical }, () => Array.from({ length: levels }, () => task.normal())),
  );
  // The same stream as before when taskSeed is absent, so existing seeded data sets keep their rows.
  const rng = taskSeed === undefined ? task : createRng(seed);
  const header = [
    ...Array.from({ length: numeric }, (_, i) => `num_${i}`),
    ...Array.from({ length: categorical }, (_, i) => `cat_${i}`),
    "label",
  ];
  const lines = [header.join(",")];
  const cells: string[] = new Array(numeric + categorical + 1);
  const scores = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    scores.fill(0);
    for (let j = 0; j < numeric; j++) {
      const v = rng.normal();
      for (let c = 0; c < classes; c++) scores[c] += weights[c][j] * v;
      // Columns on different scales, as real data has, so scaling matters.
      cells[j] = rng.next() < missing ? "" : (v * (1 + j) + 10 * j).toFixed(4);
    }
    for (let j = 0; j < categorical; j++) {
      const level = rng.int(levels);
      for (let c = 0; c < classes; c++) scores[c] += offsets[c][j][level];
      cells[numeric + j] = rng.next() < missing ? "" : `v${level}`;
    }
    let best = 0;
    for (let c = 0; c < classes; c++) {
      scores[c] += noise * rng.normal();
      if (scores[c] > scores[best]) best = c;
    }
    cells[numeric + categorical] = `c${best}`;
    lines.push(cells.join(","));
  }
  return lines.join("\n") + "\n";
}
