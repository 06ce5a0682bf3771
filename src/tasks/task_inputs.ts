/**
 * What a task saved of its inputs beside the model, read back for scoring, serving, export and resuming:
 * the schema, fitted preprocessor and CSV delimiter of a tabular model, or the image preprocessing of an
 * image model. `task` tells them apart.
 */
import type { DataSchema } from "../data/data_schema.ts";
import type { ImagePreprocessing } from "../preprocess/image_preprocessing.ts";
import type { PreprocessorState } from "../preprocess/preprocessor_state.ts";

/** A tabular version's inputs (classes or a regression): rows go through its schema and fitted preprocessor. */
export interface TabularInputs {
  task: "tabular" | "regression";
  preprocessor: PreprocessorState;
  schema: DataSchema;
  /** The CSV delimiter the version was trained with ("auto" unless the config fixed one). */
  delimiter: "auto" | "," | ";" | "\t";
}

/** An image version's inputs: files are decoded, resized and normalised as image_preprocessing.json says. */
export interface ImageInputs {
  task: "image";
  image: ImagePreprocessing;
}

/** Either task's inputs. */
export type TaskInputs = TabularInputs | ImageInputs;
