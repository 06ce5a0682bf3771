/**
 * The image task's rules: a folder of class subfolders becomes a vision model's input through the saved
 * image preprocessing (image_data.ts), scored with the streaming loader (image_scoring.ts), served with
 * the same decode and resize in front of the ONNX graph (src/inference/image_input.ts).
 */
import { VISION_ARCH_NAMES } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import { createImageInput } from "../inference/image_input.ts";
import { JSON_ARTIFACTS } from "../artifacts/version_files.ts";
import { prepareImageData } from "./image_data.ts";
import { runImageEvaluation, runImagePrediction } from "./image_scoring.ts";
import type { ImageInputs, TaskInputs } from "./task_inputs.ts";
import { CLASSIFICATION_RULES } from "./classification_rules.ts";
import type { ScoringOptions, TaskRules } from "./task_rules.ts";
import { requireImage } from "./trained_model.ts";

/** Standard input and kept columns are for rows; an image model reads files. */
function refuseTableOptions({ content, keepColumns }: ScoringOptions): void {
  if (content) {
    throw new MmmlError(
      "usage",
      "an image model reads image files: pass a file or folder, not - (standard input)",
    );
  }
  if (keepColumns?.length) {
    throw new MmmlError(
      "usage",
      "--keep-columns copies table columns; an image model's predictions name their file",
    );
  }
}

function imageInputs(inputs: TaskInputs): ImageInputs {
  if (inputs.task !== "image") throw new TypeError(`expected image inputs, received ${inputs.task}`);
  return inputs;
}

/** The rules of image-folder classification with a ResNet or EfficientNet. */
export const IMAGE_TASK: TaskRules = Object.freeze<TaskRules>({
  name: "image",
  unit: "images",
  // Short runs gain most from annealing (README, vision benchmark).
  autoLrSchedule: "cosine",
  ...CLASSIFICATION_RULES,
  checkModel(config) {
    if (config.model.arch === "mlp") {
      throw new MmmlError(
        "usage",
        `--data ${config.data.path} is an image folder: choose --model ${VISION_ARCH_NAMES.join("|")}`,
      );
    }
  },
  // A resumed image run re-scans the same folder: its preprocessing comes from the config.
  prepare: (config, logger) => prepareImageData(config, logger),
  async readInputs(folder) {
    return { task: "image", image: await folder.read("image_preprocessing") };
  },
  inputShape(inputs) {
    const { size, channels } = imageInputs(inputs).image;
    return {
      shape: [size, size, channels],
      says: `image_preprocessing.json makes ${size}x${size}x${channels} images`,
    };
  },
  onnxPreprocessor: () => undefined,
  servingInput(inputs, folder) {
    const file = folder.path(JSON_ARTIFACTS.image_preprocessing.file);
    return { image: createImageInput(imageInputs(inputs).image, file) };
  },
  evaluate: async (trained, path, options = {}) => {
    refuseTableOptions(options);
    return await runImageEvaluation(requireImage(trained, "evaluating on an image folder"), path, options);
  },
  predict: async (trained, path, options = {}) => {
    refuseTableOptions(options);
    return await runImagePrediction(requireImage(trained, "predicting images"), path, options);
  },
});
