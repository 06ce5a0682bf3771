/**
 * What the Trainer consumes: a sized source of batches. Tabular data is an in-memory matrix; image data
 * streams from disk. Labels are class indices; a regression source also carries a number per row
 * (`target`), and its labels are all 0 (one "class").
 */
export interface Batch {
  /** Row-major features: [size, ...inputShape] flattened. */
  x: Float32Array;
  /** Class index per row. */
  y: Int32Array;
  /** Regression: the target of each row. */
  target?: Float32Array;
  size: number;
  /** The source row of each batch row, where rows can be left out (undecodable images are skipped). */
  rows?: Int32Array;
}

export interface BatchOptions {
  batchSize: number;
  shuffle: boolean;
  /** Seed for the shuffle order (callers derive one per epoch). */
  seed: number;
  /** Training-time augmentation (image sources); ignored by tabular sources. */
  augment?: boolean;
}

export interface DataSource {
  readonly size: number;
  /** Input shape without the batch dimension. */
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** Labels of every row, in source order (for class weights and metrics). */
  labels(): Int32Array;
  /** Regression: the target of every row, in source order. */
  targets?(): Float32Array;
  batches(options: BatchOptions): AsyncIterable<Batch>;
}
