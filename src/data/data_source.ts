/**
 * What the Trainer consumes: a sized source of batches. Tabular data is an in-memory matrix; image data
 * streams from disk. Labels are class indices.
 */
export interface Batch {
  /** Row-major features: [size, ...inputShape] flattened. */
  x: Float32Array;
  /** Class index per row. */
  y: Int32Array;
  size: number;
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
  batches(options: BatchOptions): AsyncIterable<Batch>;
}
