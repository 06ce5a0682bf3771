/**
 * Turns the data section of a config into model-ready tabular data: read and validate the CSV(s),
 * infer or load the schema, encode labels, split (stratified, seeded) and fit preprocessing on the
 * training rows only. Everything the registry must keep (schema, preprocessor state, classes,
 * fingerprint) comes back with the matrices.
 */
import { basename } from "node:path";
import type { MmmlConfig } from "../config/schema.ts";
import { readCsv } from "../data/csv_adapter.ts";
import type { DataSchema } from "../data/data_schema.ts";
import { fingerprintFile } from "../data/fingerprint.ts";
import { encodeLabels } from "../data/label_encoding.ts";
import { inferSchema, loadSchemaFile, resolveSchema } from "../data/schema_io.ts";
import { validateTable } from "../data/schema_validator.ts";
import { stratifiedSplit } from "../data/split.ts";
import { selectRows } from "../data/table.ts";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import { fitPreprocessor, transformTable } from "../preprocess/tabular_preprocessor.ts";
import { createTabularSource } from "../data/tabular_source.ts";
import type { PreparedData } from "./prepared_data.ts";

export interface TabularSplit {
  x: Float32Array;
  y: Int32Array;
  rows: number;
}

export interface TabularData {
  schema: DataSchema;
  preprocessor: PreprocessorState;
  classes: string[];
  featureCount: number;
  train: TabularSplit;
  val: TabularSplit | null;
  test: TabularSplit | null;
  fingerprint: string;
  /** Where the test rows came from: "split" or the --test file. */
  testSource: string;
  loadSeconds: number;
  preprocessSeconds: number;
}

/** What a run saved about its tabular data: schema.json, preprocessor.json and classes.json. */
export interface SavedTabular {
  schema: DataSchema;
  preprocessor: PreprocessorState;
  classes: string[];
}

/**
 * Reads, validates, splits and preprocesses the CSV named by `config.data`. With `saved` (a resumed
 * run) the schema, classes and fitted preprocessor are the run's own instead of inferred and fitted
 * again, so every row becomes exactly the features the checkpoint saw.
 */
export async function prepareTabularData(
  config: MmmlConfig,
  logger: Logger,
  saved?: SavedTabular,
): Promise<TabularData> {
  const { data, preprocessing, training } = config;
  if (!data.path) throw new MmmlError("usage", "missing --data FILE.csv (or data.path in a config file)");
  if (!data.label) throw new MmmlError("usage", "missing --label COLUMN (or data.label in a config file)");
  const t0 = performance.now();
  const [table, fingerprint] = await Promise.all([
    readCsv(data.path, { delimiter: data.delimiter }),
    fingerprintFile(data.path),
  ]);
  const schema: DataSchema = saved?.schema ??
    (data.schema ? resolveSchema(await loadSchemaFile(data.schema), table) : inferSchema(table, {
      label: data.label,
      overrides: data.column_types,
      dropColumns: data.drop_columns,
    }));
  if (schema.label !== data.label) {
    throw new MmmlError(
      "invalid_input",
      `schema ${data.schema} has label "${schema.label}" but --label is "${data.label}"`,
    );
  }
  validateTable(table, schema, { requireLabel: true, enforceNullable: Boolean(data.schema) });
  const { y, classes } = encodeLabels(
    table,
    data.label,
    saved?.classes ?? (data.schema ? schema.classes : undefined),
  );
  const testTable = data.test_path ? await readCsv(data.test_path, { delimiter: data.delimiter }) : null;
  if (testTable) validateTable(testTable, schema, { requireLabel: true });
  const testY = testTable ? encodeLabels(testTable, data.label, classes).y : null;
  const loadSeconds = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const split = stratifiedSplit(y, {
    validation: data.split.validation,
    test: testTable ? 0 : data.split.test,
    seed: training.seed,
    stratify: data.split.stratify,
  });
  const trainTable = selectRows(table, split.train);
  const preprocessor = saved?.preprocessor ?? fitPreprocessor(trainTable, schema, preprocessing);
  const unknown = new Map<string, number>();
  const onUnknown = (column: string) => unknown.set(column, (unknown.get(column) ?? 0) + 1);
  const part = (rows: Int32Array): TabularSplit | null =>
    rows.length === 0 ? null : {
      x: transformTable(preprocessor, selectRows(table, rows), { onUnknown }),
      y: rows.reduce((out, r, i) => (out[i] = y[r], out), new Int32Array(rows.length)),
      rows: rows.length,
    };
  const train: TabularSplit = {
    x: transformTable(preprocessor, trainTable, { onUnknown }),
    y: split.train.reduce((out, r, i) => (out[i] = y[r], out), new Int32Array(split.train.length)),
    rows: split.train.length,
  };
  const val = part(split.val);
  const test = testTable && testY
    ? { x: transformTable(preprocessor, testTable, { onUnknown }), y: testY, rows: testTable.rowCount }
    : part(split.test);
  for (const [column, count] of unknown) {
    logger.warn(
      `${count} value(s) of column "${column}" outside the training categories were encoded as unknown`,
    );
  }
  const preprocessSeconds = (performance.now() - t1) / 1000;
  logger.info(
    `data: ${table.rowCount} rows from ${basename(data.path)}; train ${train.rows}, val ${val?.rows ?? 0}, ` +
      `test ${test?.rows ?? 0}${testTable ? ` (from ${basename(data.test_path!)})` : ""}; ` +
      `${preprocessor.featureCount} features${
        saved ? " (saved preprocessing)" : ""
      }, ${classes.length} classes`,
  );
  return {
    schema,
    preprocessor,
    classes,
    featureCount: preprocessor.featureCount,
    train,
    val,
    test,
    fingerprint,
    testSource: data.test_path ?? "split",
    loadSeconds,
    preprocessSeconds,
  };
}

/** The tabular data as a training run sees it. */
export function tabularPrepared(data: TabularData): PreparedData {
  const k = data.classes.length;
  const source = (part: TabularSplit | null) =>
    part ? createTabularSource(part.x, part.y, data.featureCount, k) : null;
  return {
    task: "tabular",
    classes: data.classes,
    inputShape: [data.featureCount],
    train: source(data.train)!,
    val: source(data.val),
    test: source(data.test),
    testSource: data.testSource,
    augment: false,
    fingerprint: data.fingerprint,
    artifacts: { preprocessor: data.preprocessor, schema: data.schema },
    onnxPreprocessor: data.preprocessor,
    loadSeconds: data.loadSeconds,
    preprocessSeconds: data.preprocessSeconds,
  };
}
