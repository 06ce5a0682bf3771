/**
 * Tabular data for a resumed run: the same reading, validation and seeded split as prepareTabularData
 * (tabular_data.ts), but with the run's saved schema, classes and fitted preprocessor instead of
 * inferring and fitting them again, so every row becomes exactly the features the checkpoint saw.
 */
import { basename } from "node:path";
import type { MmmlConfig } from "../config/schema.ts";
import { readCsv } from "../data/csv_adapter.ts";
import type { DataSchema } from "../data/data_schema.ts";
import { fingerprintFile } from "../data/fingerprint.ts";
import { encodeLabels } from "../data/label_encoding.ts";
import { validateTable } from "../data/schema_validator.ts";
import { stratifiedSplit } from "../data/split.ts";
import { selectRows } from "../data/table.ts";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import { transformTable } from "../preprocess/tabular_preprocessor.ts";
import type { TabularData, TabularSplit } from "./tabular_data.ts";

/** What a run saved about its tabular data: schema.json, preprocessor.json and classes.json. */
export interface SavedTabular {
  schema: DataSchema;
  preprocessor: PreprocessorState;
  classes: string[];
}

/** Reads and splits `config.data` as the original run did, encoding it with the saved preprocessing. */
export async function prepareSavedTabularData(
  config: MmmlConfig,
  { schema, preprocessor, classes }: SavedTabular,
  logger: Logger,
): Promise<TabularData> {
  const { data, training } = config;
  if (!data.path || !data.label) {
    throw new MmmlError("artifact_corrupt", "the saved config.json names no data.path or data.label");
  }
  const t0 = performance.now();
  const [table, fingerprint] = await Promise.all([
    readCsv(data.path, { delimiter: data.delimiter }),
    fingerprintFile(data.path),
  ]);
  validateTable(table, schema, { requireLabel: true, enforceNullable: Boolean(data.schema) });
  const { y } = encodeLabels(table, data.label, classes);
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
  const unknown = new Map<string, number>();
  const onUnknown = (column: string) => unknown.set(column, (unknown.get(column) ?? 0) + 1);
  const part = (rows: Int32Array): TabularSplit | null =>
    rows.length === 0 ? null : {
      x: transformTable(preprocessor, selectRows(table, rows), { onUnknown }),
      y: rows.reduce((out, r, i) => (out[i] = y[r], out), new Int32Array(rows.length)),
      rows: rows.length,
    };
  const train = part(split.train);
  if (!train) throw new MmmlError("invalid_input", `${data.path}: no training rows after the split`);
  const val = part(split.val);
  const test = testTable && testY
    ? { x: transformTable(preprocessor, testTable, { onUnknown }), y: testY, rows: testTable.rowCount }
    : part(split.test);
  for (const [column, count] of unknown) {
    logger.warn(
      `${count} value(s) of column "${column}" outside the training categories were encoded as unknown`,
    );
  }
  logger.info(
    `data: ${table.rowCount} rows from ${basename(data.path)}; train ${train.rows}, val ${val?.rows ?? 0}, ` +
      `test ${test?.rows ?? 0}; ${preprocessor.featureCount} features (saved preprocessing), ` +
      `${classes.length} classes`,
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
    preprocessSeconds: (performance.now() - t1) / 1000,
  };
}
