/**
 * Turns the data section of a config into model-ready tabular data: read and validate the table(s),
 * decide classes or regression (data.problem_type, inferred when "auto"), leave out identifier columns,
 * infer or load the schema, encode labels or targets, split (stratified, seeded; a regression by target
 * quantiles) and fit preprocessing on the training rows only (a regression's target standardisation
 * too). Everything the registry must keep (schema, preprocessor state, classes, fingerprint) comes back
 * with the matrices.
 */
import { basename } from "node:path";
import type { MmmlConfig } from "../config/schema.ts";
import type { DataSchema } from "../data/data_schema.ts";
import { fingerprintFile } from "../data/fingerprint.ts";
import { idLikeColumns } from "../data/id_columns.ts";
import { withoutUnlabelled } from "../data/unlabelled_rows.ts";
import { encodeLabels } from "../data/label_encoding.ts";
import { inferProblemType } from "../data/problem_type.ts";
import { inferSchema, loadSchemaFile, resolveSchema } from "../data/schema_io.ts";
import { validateTable } from "../data/schema_validator.ts";
import { stratifiedSplit } from "../data/split.ts";
import { type RawTable, selectRows } from "../data/table.ts";
import { readTable } from "../data/table_reader.ts";
import { encodeTargets, quantileBins } from "../data/target_encoding.ts";
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { PreprocessorState } from "../preprocess/preprocessor_state.ts";
import { fitPreprocessor, transformTable } from "../preprocess/tabular_preprocessor.ts";
import { fitTargetScaling } from "../preprocess/target_scaling.ts";
import { createTabularSource } from "../data/tabular_source.ts";
import type { PreparedData } from "./prepared_data.ts";

export interface TabularSplit {
  x: Float32Array;
  /** Class index per row (all 0 for a regression). */
  y: Int32Array;
  /** Regression: the standardised target per row. */
  t?: Float32Array;
  rows: number;
}

export interface TabularData {
  problemType: "classification" | "regression";
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
 * Reads, validates, splits and preprocesses the table named by `config.data`. With `saved` (a resumed
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
  const label = data.label;
  const t0 = performance.now();
  const dropped = new Set(data.drop_columns);
  const read = async (path: string) => {
    const { table, note } = withoutUnlabelled(
      await readTable(path, {
        delimiter: data.delimiter,
        naValues: data.na_values,
        reads: (column) => !dropped.has(column),
      }),
      label,
    );
    if (note) logger.warn(note);
    return table;
  };
  const [table, fingerprint] = await Promise.all([read(data.path), fingerprintFile(data.path)]);
  const problemType = saved?.schema.problem_type ?? decideProblemType(config, table, label, logger);
  const schema: DataSchema = saved?.schema ?? await schemaFor(config, table, problemType, logger);
  if (schema.label !== label) {
    throw new MmmlError(
      "invalid_input",
      `schema ${data.schema} has label "${schema.label}" but --label is "${label}"`,
    );
  }
  validateTable(table, schema, { requireLabel: true, enforceNullable: Boolean(data.schema) });
  const testTable = data.test_path ? await read(data.test_path) : null;
  if (testTable) validateTable(testTable, schema, { requireLabel: true });
  const regression = problemType === "regression";
  const labels = regression
    ? null
    : encodeLabels(table, label, saved?.classes ?? (data.schema ? schema.classes : undefined));
  const classes = labels?.classes ?? [];
  const targets = regression ? encodeTargets(table, label) : null;
  const testLabels = testTable
    ? regression ? encodeTargets(testTable, label) : encodeLabels(testTable, label, classes).y
    : null;
  const loadSeconds = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const split = stratifiedSplit(labels?.y ?? quantileBins(targets!), {
    validation: data.split.validation,
    test: testTable ? 0 : data.split.test,
    seed: training.seed,
    stratify: data.split.stratify,
  });
  const trainTable = selectRows(table, split.train);
  let preprocessor = saved?.preprocessor ?? fitPreprocessor(trainTable, schema, preprocessing);
  if (regression && !preprocessor.target) {
    const trainTargets = Float64Array.from(split.train, (r) => targets![r]);
    preprocessor = { ...preprocessor, target: fitTargetScaling(trainTargets, label, preprocessing.target) };
  }
  const scaling = preprocessor.target;
  const unknown = new Map<string, number>();
  const onUnknown = (column: string) => unknown.set(column, (unknown.get(column) ?? 0) + 1);
  const encode = (rows: RawTable, y: Int32Array | Float64Array): TabularSplit => ({
    x: transformTable(preprocessor, rows, { onUnknown }),
    y: regression ? new Int32Array(rows.rowCount) : y as Int32Array,
    ...(regression ? { t: Float32Array.from(y, (v) => (v - scaling!.mean) / scaling!.std) } : {}),
    rows: rows.rowCount,
  });
  const all = (labels?.y ?? targets)!;
  const part = (rows: Int32Array): TabularSplit | null => {
    if (rows.length === 0) return null;
    const picked = regression ? Float64Array.from(rows, (r) => all[r]) : Int32Array.from(rows, (r) => all[r]);
    return encode(selectRows(table, rows), picked);
  };
  const train = part(split.train)!;
  const val = part(split.val);
  const test = testTable && testLabels ? encode(testTable, testLabels) : part(split.test);
  for (const [column, count] of unknown) {
    logger.warn(
      `${count} value(s) of column "${column}" outside the training categories were encoded as unknown`,
    );
  }
  const preprocessSeconds = (performance.now() - t1) / 1000;
  logger.info(
    `data: ${table.rowCount} rows from ${basename(data.path)}; train ${train.rows}, val ${val?.rows ?? 0}, ` +
      `test ${test?.rows ?? 0}${testTable ? ` (from ${basename(data.test_path!)})` : ""}; ` +
      `${preprocessor.featureCount} features${saved ? " (saved preprocessing)" : ""}, ` +
      (regression ? `a regression of "${label}"` : `${classes.length} classes`),
  );
  return {
    problemType,
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

/** data.problem_type, or (auto) what the label column says, logged once with the reason. */
function decideProblemType(
  config: MmmlConfig,
  table: RawTable,
  label: string,
  logger: Logger,
): "classification" | "regression" {
  const asked = config.data.problem_type;
  if (asked !== "auto") return asked;
  if (!table.columns.has(label)) return "classification"; // encodeLabels names the missing column
  const inferred = inferProblemType(table, label);
  const other = inferred.type === "regression" ? "classification" : "regression";
  logger.info(
    `problem type: ${inferred.type} (${inferred.reason}); to train it as ${other}, pass --problem-type ${other}`,
  );
  return inferred.type;
}

/** The schema file's, or one inferred from the rows, leaving out identifier columns with a warning. */
async function schemaFor(
  config: MmmlConfig,
  table: RawTable,
  problemType: "classification" | "regression",
  logger: Logger,
): Promise<DataSchema> {
  const { data } = config;
  const label = data.label!;
  if (data.schema) return resolveSchema(await loadSchemaFile(data.schema), table);
  const keep = new Set([label, ...data.drop_columns, ...Object.keys(data.column_types)]);
  const ids = idLikeColumns(table, keep);
  for (const column of ids) {
    logger.warn(
      `column "${column}" looks like an identifier (a different value on every row), so it is not used as a ` +
        `feature; to use it, declare its type: --set data.column_types.${column}=categorical`,
    );
  }
  const schema = inferSchema(table, {
    label,
    overrides: data.column_types,
    dropColumns: [...data.drop_columns, ...ids],
    problemType,
  });
  return data.na_values.length ? { ...schema, na_values: data.na_values } : schema;
}

/** The tabular data as a training run sees it: a classification ("tabular") or a regression. */
export function tabularPrepared(data: TabularData): PreparedData {
  const regression = data.problemType === "regression";
  const k = regression ? 1 : data.classes.length;
  const source = (part: TabularSplit | null) =>
    part ? createTabularSource(part.x, part.y, data.featureCount, k, part.t) : null;
  return {
    task: regression ? "regression" : "tabular",
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
    ...(data.preprocessor.target ? { target: data.preprocessor.target } : {}),
    loadSeconds: data.loadSeconds,
    preprocessSeconds: data.preprocessSeconds,
  };
}
