/**
 * The tabular task's rules: a CSV becomes an MLP's features through the fitted schema and preprocessor
 * (tabular_data.ts), scored row by row (tabular_scoring.ts), served with the numeric preprocessing inside
 * the ONNX graph and the categorical encoding outside it (src/inference/tabular_input.ts).
 */
import { MmmlError } from "../errors.ts";
import { createTabularInput } from "../inference/tabular_input.ts";
import { JSON_ARTIFACTS } from "../artifacts/version_files.ts";
import { prepareTabularData, tabularPrepared } from "./tabular_data.ts";
import { runTabularEvaluation, runTabularPrediction } from "./tabular_scoring.ts";
import type { TabularInputs, TaskInputs } from "./task_inputs.ts";
import { CLASSIFICATION_RULES } from "./classification_rules.ts";
import type { TaskRules } from "./task_rules.ts";

function tabularInputs(inputs: TaskInputs): TabularInputs {
  if (inputs.task === "image") throw new TypeError(`expected table inputs, received ${inputs.task}`);
  return inputs;
}

/** The rules of CSV classification with an MLP. */
export const TABULAR_TASK: TaskRules = Object.freeze<TaskRules>({
  name: "tabular",
  unit: "rows",
  autoLrSchedule: "constant",
  ...CLASSIFICATION_RULES,
  checkModel(config) {
    if (config.model.arch !== "mlp") {
      throw new MmmlError(
        "usage",
        `--model ${config.model.arch} is an image model; a CSV trains --model mlp`,
      );
    }
  },
  async prepare(config, logger, saved) {
    if (!saved) return tabularPrepared(await prepareTabularData(config, logger));
    if (!config.data.path || !config.data.label) {
      throw new MmmlError("artifact_corrupt", "the saved config.json names no data.path or data.label");
    }
    const { schema, preprocessor } = tabularInputs(saved.inputs);
    return tabularPrepared(
      await prepareTabularData(config, logger, { schema, preprocessor, classes: saved.classes }),
    );
  },
  async readInputs(folder) {
    return {
      task: "tabular",
      preprocessor: await folder.read("preprocessor"),
      schema: await folder.read("schema"),
      // Only scoring CSV files needs it; serving and export work without a config.json.
      delimiter: (await folder.readOptional("config"))?.data.delimiter ?? "auto",
    };
  },
  inputShape(inputs) {
    const { featureCount } = tabularInputs(inputs).preprocessor;
    return { shape: [featureCount], says: `preprocessor.json makes ${featureCount} features` };
  },
  onnxPreprocessor: (inputs) => tabularInputs(inputs).preprocessor,
  servingInput(inputs, folder) {
    const { schema, preprocessor } = tabularInputs(inputs);
    return {
      tabular: createTabularInput(schema, preprocessor, folder.path(JSON_ARTIFACTS.preprocessor.file)),
    };
  },
  evaluate: (trained, path, options) => runTabularEvaluation(trained, path, options),
  predict: (trained, path, options) => runTabularPrediction(trained, path, options),
});
