import assert from "node:assert/strict";
import { PreprocessingConfig } from "../config/schema.ts";
import type { DataSchema } from "../data/data_schema.ts";
import type { RawTable } from "../data/table.ts";
import { MmmlError } from "../errors.ts";
import { PreprocessorState } from "./preprocessor_state.ts";
import { fitPreprocessor, transformRows, transformTable } from "./tabular_preprocessor.ts";

function table(cols: Record<string, (string | null)[]>, file = "penguins.csv"): RawTable {
  const header = Object.keys(cols);
  const rowCount = cols[header[0]].length;
  return {
    file,
    header,
    columns: new Map(Object.entries(cols)),
    rowCount,
    lines: Array.from({ length: rowCount }, (_, i) => i + 2),
  };
}

const TRAIN = table({
  bill: ["1", "2", null, "4", "8"],
  island: ["Dream", "Biscoe", null, "Dream", "Torgersen"],
  alive: ["yes", "no", "TRUE", null, "0"],
  species: ["a", "b", "a", "b", "a"],
});

const SCHEMA: DataSchema = {
  columns: [
    { name: "bill", type: "numeric", nullable: true, required: true },
    { name: "island", type: "categorical", nullable: true, required: true },
    { name: "alive", type: "boolean", nullable: true, required: true },
  ],
  label: "species",
  classes: ["a", "b"],
};

function config(over: { numeric?: object; categorical?: object } = {}): PreprocessingConfig {
  return PreprocessingConfig.parse({ numeric: over.numeric ?? {}, categorical: over.categorical ?? {} });
}

function close(actual: ArrayLike<number>, expected: number[], eps = 1e-6) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= eps, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

function column(x: Float32Array, width: number, col: number): number[] {
  return Array.from({ length: x.length / width }, (_, r) => x[r * width + col]);
}

Deno.test("fitPreprocessor mean-imputes and standard-scales as sklearn's Pipeline", () => {
  const state = fitPreprocessor(TRAIN, SCHEMA, config());
  const bill = state.numeric[0];
  assert.equal(bill.fill, 3.75);
  assert.equal(bill.mean, 3.75);
  close([bill.std], [Math.sqrt(5.75)], 1e-12); // sklearn scale_ 2.39791576
  const x = transformTable(state, TRAIN);
  // sklearn Pipeline(SimpleImputer("mean"), StandardScaler()).fit_transform on the same column.
  close(column(x, state.featureCount, 0), [-1.1468292773, -0.7298004492, 0, 0.1042572070, 1.7723725195]);
});

Deno.test("fitPreprocessor imputes the median and the most frequent value (smallest on ties)", () => {
  const median = fitPreprocessor(TRAIN, SCHEMA, config({ numeric: { impute: "median" } })).numeric[0];
  assert.equal(median.fill, 3);
  close([median.mean, median.std], [3.6, 2.41660919], 1e-8);
  const mode = fitPreprocessor(TRAIN, SCHEMA, config({ numeric: { impute: "most_frequent" } })).numeric[0];
  assert.equal(mode.fill, 1);
  close([mode.mean, mode.std], [3.2, 2.63818119], 1e-8);
  const ties = table({ v: ["5", "2", "2", "5", "1", ""], y: ["a", "a", "a", "b", "b", "b"] });
  const schema: DataSchema = {
    columns: [{ name: "v", type: "numeric", nullable: true, required: true }],
    label: "y",
    classes: ["a", "b"],
  };
  assert.equal(
    fitPreprocessor(ties, schema, config({ numeric: { impute: "most_frequent" } })).numeric[0].fill,
    2,
  );
});

Deno.test("fitPreprocessor fills a constant and can leave scaling off", () => {
  const state = fitPreprocessor(
    TRAIN,
    SCHEMA,
    config({ numeric: { impute: "constant", fill_value: -1, scale: "none" } }),
  );
  assert.deepEqual(state.numeric[0], { name: "bill", kind: "numeric", fill: -1, mean: 0, std: 1 });
  const x = transformTable(state, TRAIN);
  assert.deepEqual(column(x, state.featureCount, 0), [1, 2, -1, 4, 8]);
});

Deno.test("fitPreprocessor reads booleans as 0/1 numeric features", () => {
  const state = fitPreprocessor(TRAIN, SCHEMA, config({ numeric: { scale: "none" } }));
  assert.deepEqual(state.numeric[1], { name: "alive", kind: "boolean", fill: 0.5, mean: 0, std: 1 });
  const x = transformTable(state, TRAIN);
  assert.deepEqual(column(x, state.featureCount, 1), [1, 0, 1, 0.5, 0]);
});

Deno.test("fitPreprocessor keeps std 1 for a constant column", () => {
  const t = table({ v: ["0.1", "0.1", "0.1"], y: ["a", "b", "a"] });
  const schema: DataSchema = {
    columns: [{ name: "v", type: "numeric", nullable: true, required: true }],
    label: "y",
    classes: ["a", "b"],
  };
  const f = fitPreprocessor(t, schema, config()).numeric[0];
  assert.equal(f.std, 1);
  close(transformTable(fitPreprocessor(t, schema, config()), t), [0, 0, 0], 1e-12);
});

Deno.test("fitPreprocessor lays out numeric features first, then one-hot blocks of sorted categories", () => {
  const state = fitPreprocessor(TRAIN, SCHEMA, config());
  assert.deepEqual(state.featureNames, [
    "bill",
    "alive",
    "island=Biscoe",
    "island=Dream",
    "island=Torgersen",
  ]);
  assert.equal(state.featureCount, 5);
  assert.equal(state.categorical[0].fill, "Dream");
  const x = transformTable(state, TRAIN);
  const onehot = Array.from({ length: 5 }, (_, r) => Array.from(x.subarray(r * 5 + 2, r * 5 + 5)));
  assert.deepEqual(onehot, [[0, 1, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1]]);
});

Deno.test("fitPreprocessor counts a used constant fill as a category", () => {
  const state = fitPreprocessor(TRAIN, SCHEMA, config({ categorical: { impute: "constant" } }));
  assert.deepEqual(state.categorical[0].categories, ["Biscoe", "Dream", "Torgersen", "__missing__"]);
  assert.deepEqual(state.featureNames.slice(2), [
    "island=Biscoe",
    "island=Dream",
    "island=Torgersen",
    "island=__missing__",
  ]);
  const x = transformTable(state, TRAIN);
  assert.deepEqual(Array.from(x.subarray(2 * 6 + 2, 3 * 6)), [0, 0, 0, 1]);
  // Not used in training (no missing cell): not a category, and a missing cell later encodes as none.
  const full = table({ island: ["Dream", "Biscoe"], species: ["a", "b"] });
  const schema: DataSchema = { columns: [SCHEMA.columns[1]], label: "species", classes: ["a", "b"] };
  const s2 = fitPreprocessor(full, schema, config({ categorical: { impute: "constant", unknown: "error" } }));
  assert.deepEqual(s2.categorical[0].categories, ["Biscoe", "Dream"]);
  assert.deepEqual(Array.from(transformRows(s2, [{ island: null }])), [0, 0]);
});

Deno.test("transformRows encodes an unseen category as all zeros and reports it", () => {
  const state = fitPreprocessor(TRAIN, SCHEMA, config({ numeric: { scale: "none" } }));
  const seen: [string, string, number][] = [];
  const x = transformRows(state, [
    { bill: 5, island: "Dream", alive: true },
    { bill: "6.5", island: "Atlantis", alive: "no" },
    { island: null },
  ], { onUnknown: (c, v, r) => seen.push([c, v, r]) });
  assert.deepEqual(Array.from(x), [5, 1, 0, 1, 0, 6.5, 0, 0, 0, 0, 3.75, 0.5, 0, 1, 0]);
  assert.deepEqual(seen, [["island", "Atlantis", 1]]);
});

Deno.test("label encoding gives sorted category codes and -1 for an unseen category", () => {
  const state = fitPreprocessor(TRAIN, SCHEMA, config({ categorical: { encoding: "label" } }));
  assert.deepEqual(state.featureNames, ["bill", "alive", "island"]);
  assert.deepEqual(column(transformTable(state, TRAIN), 3, 2), [1, 0, 1, 1, 2]);
  assert.deepEqual(column(transformRows(state, [{ island: "Atlantis" }, { island: "Torgersen" }]), 3, 2), [
    -1,
    2,
  ]);
});

Deno.test("unknown: error names the column, row, value and the known categories", () => {
  const state = fitPreprocessor(TRAIN, SCHEMA, config({ categorical: { unknown: "error" } }));
  const test = table({ bill: ["1", "2"], island: ["Dream", "Atlantis"], alive: ["y", "n"] }, "test.csv");
  assert.throws(() => transformTable(state, test), (e: unknown) => {
    assert.ok(e instanceof MmmlError);
    assert.equal(e.code, "validation_failed");
    assert.match(e.message, /^test\.csv line 3, column "island": /);
    assert.match(e.message, /"Biscoe", "Dream", "Torgersen"/);
    assert.match(e.message, /received unknown category "Atlantis"/);
    return true;
  });
  assert.throws(
    () => transformRows(state, [{ island: "Dream" }, { island: "Mars" }]),
    /row 1, column "island".*"Mars"/,
  );
});

Deno.test("text in a numeric column names the file line, column and value", () => {
  const bad = table(
    { bill: ["1", "2", "abc"], island: ["Dream", "Dream", "Dream"], alive: ["y", "n", "y"] },
    "p.csv",
  );
  assert.throws(() => fitPreprocessor(bad, SCHEMA, config()), (e: unknown) => {
    assert.ok(e instanceof MmmlError);
    assert.equal(e.code, "validation_failed");
    assert.equal(e.message, 'p.csv line 4, column "bill": expected a finite number, received text "abc"');
    return true;
  });
  const state = fitPreprocessor(TRAIN, SCHEMA, config());
  assert.throws(() => transformRows(state, [{ bill: "Infinity" }]), /row 0, column "bill": .*"Infinity"/);
  assert.throws(
    () => transformRows(state, [{ bill: 1, alive: "maybe" }]),
    /row 0, column "alive": expected a boolean/,
  );
  assert.throws(() => transformRows(state, [{ bill: [1] }]), /row 0, column "bill": .*an array of 1/);
  assert.throws(
    () => transformTable(state, table({ bill: ["1"] })),
    /penguins\.csv: missing column "alive"; the file has "bill"/,
  );
});

Deno.test("numeric cells accept the same spellings as parseNumberCell", () => {
  const state = fitPreprocessor(TRAIN, SCHEMA, config({ numeric: { scale: "none" } }));
  const spellings = ["+5", "-.5", "5.", "1e3", "1E-2", " 7 ", "NA", "NaN", "", "007"];
  const x = transformRows(state, spellings.map((bill) => ({ bill })));
  assert.deepEqual(column(x, state.featureCount, 0), [
    5,
    -0.5,
    5,
    1000,
    Math.fround(0.01),
    7,
    3.75,
    3.75,
    3.75,
    7,
  ]);
  for (const text of ["0x1F", "0b1", "0o7", "1_000", "5 kg", "."]) {
    assert.throws(() => transformRows(state, [{ bill: text }]), /expected a finite number/, text);
  }
});

Deno.test("a JSON round trip of the state transforms identically", () => {
  for (const encoding of ["onehot", "label"] as const) {
    const state = fitPreprocessor(
      TRAIN,
      SCHEMA,
      config({ numeric: { impute: "median" }, categorical: { encoding } }),
    );
    const again = PreprocessorState.parse(JSON.parse(JSON.stringify(state)));
    assert.deepEqual(again, state);
    assert.deepEqual(transformTable(again, TRAIN), transformTable(state, TRAIN));
  }
});

Deno.test("fitPreprocessor uses only the rows it is given", () => {
  const state = fitPreprocessor(
    table({ bill: ["10", "20"], island: ["Dream", "Biscoe"], alive: ["y", "n"] }),
    SCHEMA,
    config(),
  );
  assert.equal(state.numeric[0].mean, 15);
  assert.equal(state.numeric[0].std, 5);
  assert.deepEqual(state.categorical[0].categories, ["Biscoe", "Dream"]);
});
