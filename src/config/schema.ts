/**
 * The effective configuration of a run. The zod schema is the type; nothing re-declares it by hand.
 * Sections mirror the pipeline: data -> preprocessing -> model -> training -> registry -> serving.
 */
import { z } from "zod";
import { SweepConfig } from "./sweep_schema.ts";

export const ColumnType = z.enum(["numeric", "categorical", "boolean", "date"]);

/**
 * What a model learns: classes from table rows ("tabular"), a number from table rows ("regression"), or
 * classes from a folder of class subfolders ("image"). The one list of tasks; src/tasks/ has their rules.
 */
export const TaskName = z.enum(["tabular", "image", "regression"]);
export type Task = z.infer<typeof TaskName>;
export const TASK_NAMES = TaskName.options;

/** What `--data` holds (data.task): table rows or an image folder; "auto" tells by looking. */
export const DataKind = z.enum(["auto", "tabular", "image"]);

/**
 * What the label of table rows is (data.problem_type, AutoGluon's name): classes, or a number to
 * predict; "auto" infers it from the label column (src/data/problem_type.ts).
 */
export const ProblemType = z.enum(["auto", "classification", "regression"]);
export type ProblemType = z.infer<typeof ProblemType>;

/**
 * TensorFlow.js backends a run can train (and score) on; "auto" picks the fastest that runs here
 * (src/backend/choose.ts). The one list of backend names.
 */
export const BackendName = z.enum(["auto", "native", "wasm", "webgpu", "tensorflow", "cpu"]);
export type BackendName = z.infer<typeof BackendName>;
export const BACKEND_NAMES = BackendName.options;
export type ColumnType = z.infer<typeof ColumnType>;

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(0.9);

export const ImageDataConfig = z.strictObject({
  /** Square input size in pixels; defaults to the architecture's (224 for ImageNet stems). */
  size: positiveInt.optional(),
  channels: z.union([z.literal(1), z.literal(3)]).default(3),
  mean: z.array(z.number()).default([0.485, 0.456, 0.406]),
  std: z.array(z.number()).default([0.229, 0.224, 0.225]),
  strict: z.boolean().default(false),
  cache_mb: z.number().int().nonnegative().default(512),
  augment: z.strictObject({
    enabled: z.boolean().default(true),
    hflip: z.boolean().default(true),
    rotation_degrees: z.number().min(0).max(180).default(10),
    random_resized_crop: z.strictObject({
      enabled: z.boolean().default(true),
      scale: z.tuple([z.number(), z.number()]).default([0.8, 1]),
    }).prefault({}),
    color_jitter: z.strictObject({
      brightness: z.number().min(0).max(1).default(0.2),
      contrast: z.number().min(0).max(1).default(0.2),
      saturation: z.number().min(0).max(1).default(0.2),
    }).prefault({}),
  }).prefault({}),
});

export const DataConfig = z.strictObject({
  /** A CSV file (tabular) or a folder of class subfolders (image). */
  path: z.string().optional(),
  label: z.string().optional(),
  /** Explicit test file; when absent, a stratified test split is cut from `path`. */
  test_path: z.string().optional(),
  task: DataKind.default("auto"),
  /** Classes or a number (table rows only); "auto" infers it from the label column. */
  problem_type: ProblemType.default("auto"),
  /** Cell texts that mean "missing" besides an empty cell (pandas' na_values), e.g. ["?", "-"]. */
  na_values: z.array(z.string()).default([]),
  delimiter: z.enum(["auto", ",", ";", "\t"]).default("auto"),
  /** A schema file (JSON or YAML, see src/data/data_schema.ts); inferred from the data when absent. */
  schema: z.string().optional(),
  column_types: z.record(z.string(), ColumnType).default({}),
  drop_columns: z.array(z.string()).default([]),
  split: z.strictObject({
    validation: fraction.default(0.15),
    test: fraction.default(0.15),
    stratify: z.boolean().default(true),
  }).prefault({}),
  image: ImageDataConfig.prefault({}),
});

export const PreprocessingConfig = z.strictObject({
  numeric: z.strictObject({
    impute: z.enum(["mean", "median", "most_frequent", "constant"]).default("mean"),
    fill_value: z.number().default(0),
    scale: z.enum(["standard", "none"]).default("standard"),
  }).prefault({}),
  categorical: z.strictObject({
    impute: z.enum(["most_frequent", "constant"]).default("most_frequent"),
    fill_value: z.string().default("__missing__"),
    encoding: z.enum(["onehot", "label"]).default("onehot"),
    /** Categories unseen in training: "ignore" encodes them as all zeros (one-hot) or -1 (label). */
    unknown: z.enum(["ignore", "error"]).default("ignore"),
  }).prefault({}),
  /** Regression: the target is standardised with the training rows' mean and std (undone at predict time). */
  target: z.strictObject({
    scale: z.enum(["standard", "none"]).default("standard"),
  }).prefault({}),
});

const Activation = z.enum(["relu", "gelu", "tanh", "sigmoid", "elu", "selu", "swish", "linear"]);

export const MlpConfig = z.strictObject({
  arch: z.literal("mlp"),
  hidden: z.array(positiveInt).default([128, 64]),
  dropout: z.number().min(0).max(0.95).default(0.1),
  activation: Activation.default("relu"),
  batch_norm: z.boolean().default(false),
});

const visionFields = {
  /** "imagenet": 7x7/2 conv + max pool (torchvision); "small": 3x3/1 conv, no pool, for images < 64 px. */
  stem: z.enum(["imagenet", "small"]).default("imagenet"),
  dropout: z.number().min(0).max(0.95).default(0.2),
  /** A local weights file written by mmml (see README "Pretrained weights"); never downloaded. */
  pretrained: z.string().optional(),
  freeze_backbone: z.boolean().default(false),
};

export const ResnetConfig = z.strictObject({
  arch: z.enum(["resnet18", "resnet34", "resnet50"]),
  ...visionFields,
});

export const EfficientnetConfig = z.strictObject({
  arch: z.enum(["efficientnet_b0", "efficientnet_b1"]),
  ...visionFields,
});

export const ModelConfig = z.discriminatedUnion("arch", [MlpConfig, ResnetConfig, EfficientnetConfig]);
export type ModelConfig = z.infer<typeof ModelConfig>;
export type MlpConfig = z.infer<typeof MlpConfig>;
export type ResnetConfig = z.infer<typeof ResnetConfig>;
export type EfficientnetConfig = z.infer<typeof EfficientnetConfig>;
/** Every architecture name, from the union above (the MLP first, then the vision models). */
export const ARCH_NAMES = [
  MlpConfig.shape.arch.value,
  ...ResnetConfig.shape.arch.options,
  ...EfficientnetConfig.shape.arch.options,
] as const;
/** The image architectures: every name but the MLP. */
export const VISION_ARCH_NAMES = [
  ...ResnetConfig.shape.arch.options,
  ...EfficientnetConfig.shape.arch.options,
];
export type ArchName = (typeof ARCH_NAMES)[number];

/** Up to this size, training.checkpoint.keep "auto" keeps a version's checkpoints. */
export const KEEP_CHECKPOINTS_AUTO_BYTES = 16 * 1024 * 1024;

export const TrainingConfig = z.strictObject({
  epochs: positiveInt.default(20),
  batch_size: positiveInt.default(64),
  optimizer: z.strictObject({
    name: z.enum(["adam", "sgd"]).default("adam"),
    lr: z.number().positive().default(1e-3),
    momentum: z.number().min(0).max(1).default(0.9),
    beta1: z.number().min(0).max(1).default(0.9),
    beta2: z.number().min(0).max(1).default(0.999),
    epsilon: z.number().positive().default(1e-7),
  }).prefault({}),
  /**
   * How the learning rate moves over the run, per step (src/training/lr_schedule.ts). "auto" is cosine
   * for image models and constant for tabular ones; the saved config holds the resolved name.
   */
  lr_schedule: z.strictObject({
    name: z.enum(["auto", "constant", "cosine", "linear", "step", "exponential", "one_cycle"]).default(
      "auto",
    ),
    /** Linear warm-up from lr / warmup_div over this many epochs (fractions allowed); not for one_cycle. */
    warmup_epochs: z.number().min(0).default(0),
    warmup_div: z.number().min(1).default(25),
    /** Where cosine and linear end. */
    min_lr: z.number().min(0).default(0),
    /** step: multiply by gamma every step_size epochs; exponential: by gamma every epoch. */
    step_size: positiveInt.default(10),
    gamma: z.number().positive().max(1).default(0.1),
    /** one_cycle: the share of the steps spent rising to lr. */
    pct_start: z.number().gt(0).lt(1).default(0.25),
  }).prefault({}),
  /** Keras' ReduceLROnPlateau: multiply the rate by `factor` after `patience` epochs without improvement. */
  reduce_on_plateau: z.strictObject({
    enabled: z.boolean().default(false),
    monitor: z.string().default("val_loss"),
    mode: z.enum(["auto", "min", "max"]).default("auto"),
    factor: z.number().gt(0).lt(1).default(0.1),
    patience: z.number().int().nonnegative().default(3),
    min_delta: z.number().min(0).default(1e-4),
    cooldown: z.number().int().nonnegative().default(0),
    min_lr: z.number().min(0).default(0),
  }).prefault({}),
  /**
   * The loss: "auto" is cross-entropy for classes and mean squared error for regression; "huber" is
   * less swayed by outlying targets (huber_delta in standardised target units).
   */
  loss: z.enum(["auto", "cross_entropy", "mse", "huber"]).default("auto"),
  /**
   * L2 weight decay on the kernels (their gradient gets weight_decay * W, as torch's Adam weight_decay).
   * "auto" is the task's choice: 0 for classes (unchanged since before it existed), a little for regression.
   */
  weight_decay: z.union([z.literal("auto"), z.number().min(0)]).default("auto"),
  huber_delta: z.number().positive().default(1),
  /** "balanced" weighs each class by n / (k * count); a map gives weights by class name. */
  class_weights: z.union([z.enum(["none", "balanced"]), z.record(z.string(), z.number().positive())])
    .default("none"),
  seed: z.number().int().nonnegative().default(42),
  shuffle: z.boolean().default(true),
  /**
   * With model.freeze_backbone and no augmentation, run the backbone once per image and train the head on
   * the cached features (src/runs/embedding_cache.ts).
   */
  cache_embeddings: z.boolean().default(true),
  /**
   * fastai's fine_tune (src/runs/fit_phases.ts): freeze_epochs of the head alone at optimizer.lr, then
   * `epochs` of the whole network at half that rate with the backbone at backbone_lr_mult times it.
   * "auto": on for an image model with pretrained weights and an unfrozen backbone.
   */
  fine_tune: z.strictObject({
    enabled: z.union([z.literal("auto"), z.boolean()]).default("auto"),
    freeze_epochs: positiveInt.default(1),
    backbone_lr_mult: z.number().positive().max(1).default(0.01),
  }).prefault({}),
  backend: BackendName.default("auto"),
  /** CPU threads: wasm worker threads (unset: 1) or native's OpenMP threads (unset: every core). */
  threads: positiveInt.optional(),
  early_stopping: z.strictObject({
    enabled: z.boolean().default(true),
    monitor: z.string().default("val_loss"),
    mode: z.enum(["auto", "min", "max"]).default("auto"),
    patience: z.number().int().nonnegative().default(5),
    min_delta: z.number().min(0).default(0),
    restore_best: z.boolean().default(true),
  }).prefault({}),
  checkpoint: z.strictObject({
    enabled: z.boolean().default(true),
    monitor: z.string().default("val_loss"),
    mode: z.enum(["auto", "min", "max"]).default("auto"),
    save_best: z.boolean().default(true),
    save_last: z.boolean().default(true),
    /**
     * Whether the published version keeps checkpoints/ (the best weights and the resumable last state:
     * weights, optimizer moments, early-stopping snapshot; about 4x the model). "auto" keeps them up to
     * KEEP_CHECKPOINTS_AUTO_BYTES (every MLP) and leaves them out of larger versions (CNNs), saying so;
     * `--keep-checkpoints` is "always". The run's work folder has them either way while it trains.
     */
    keep: z.enum(["auto", "always", "never"]).default("auto"),
  }).prefault({}),
  progress: z.boolean().default(true),
});

export const RegistryConfig = z.strictObject({
  /** A folder (default "models"), or a postgres:// URL for a shared registry. */
  path: z.string().default("models"),
  /**
   * PostgreSQL registries only: the artifacts folder, the same path on every machine (recorded by the
   * first machine that opens the registry). Also MMML_REGISTRY_ARTIFACTS.
   */
  artifacts: z.string().optional(),
  /** Model name; defaults to the data file's or folder's base name. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '_', '.', '-'").optional(),
});

export const ServingConfig = z.strictObject({
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8080),
  models: z.array(z.string()).default([]),
  providers: z.array(z.enum(["cuda", "tensorrt", "webgpu", "cpu"])).default(["cuda", "cpu"]),
  /**
   * Row keys the model does not read (an id, the label): "ignore" answers and names them in
   * `ignored_columns`; "error" refuses the request with 400 naming them.
   */
  extra_columns: z.enum(["ignore", "error"]).default("ignore"),
  /** When true, a requested provider that fails to load is an error instead of a loud warning. */
  require_providers: z.boolean().default(false),
  intra_op_threads: z.number().int().nonnegative().default(0),
  max_body_bytes: positiveInt.default(16 * 1024 * 1024),
  request_timeout_ms: positiveInt.default(30_000),
  batching: z.strictObject({
    enabled: z.boolean().default(true),
    max_batch_size: positiveInt.default(64),
    max_wait_ms: z.number().min(0).default(2),
  }).prefault({}),
  auth: z.strictObject({
    enabled: z.boolean().default(false),
    header: z.string().default("x-api-key"),
    /** Keys; prefer the MMML_API_KEYS environment variable (comma-separated) over a file. */
    keys: z.array(z.string()).default([]),
  }).prefault({}),
  top_k: positiveInt.default(5),
  /**
   * Bounds on what a client controls (README, "Limits"): past them a request gets 413 (too much in one
   * request) or 503 with Retry-After (too much at once), never a stalled server.
   */
  limits: z.strictObject({
    /** Requests being handled at once (health, readiness and metrics do not count). */
    max_in_flight: positiveInt.default(256),
    /** Open connections; more are answered 503 and closed. */
    max_connections: positiveInt.default(1024),
    /** Seconds a 503 asks the client to wait (Retry-After). */
    retry_after_s: positiveInt.default(1),
    /** Rows per tabular request (POST /predict/tabular, or the batch of an OIP v2 infer). */
    max_rows: positiveInt.default(10_000),
    /** Images per request (POST /predict/image, or the batch of an OIP v2 infer). */
    max_images: positiveInt.default(256),
    /** Pixels of one image, from its header, before it is decoded (4096 x 4096). */
    max_image_pixels: positiveInt.default(4096 * 4096),
    /** Pixels of all the images of one request together. */
    max_request_pixels: positiveInt.default(64 * 1024 * 1024),
    /** Nesting of a JSON body ({"instances": [{...}]} is 3). */
    max_json_depth: positiveInt.default(32),
    /**
     * The front door (src/server/front_door.ts) times request headers and caps connections, which
     * Deno.serve does not; false serves Deno.serve on the port directly, for a server behind a reverse
     * proxy that does both (nginx, Envoy): faster, unprotected on its own.
     */
    front_door: z.boolean().default(true),
    /** Milliseconds a client may take to send a request's headers. */
    header_timeout_ms: positiveInt.default(10_000),
    /** Milliseconds an idle keep-alive connection stays open. */
    idle_timeout_ms: positiveInt.default(30_000),
    /** Image decoding workers ("auto": cores - 1, at least 1, at most 4). */
    decode_workers: z.union([z.literal("auto"), positiveInt]).default("auto"),
    /** Image requests waiting for a decoding worker; more are answered 503. */
    decode_queue: positiveInt.default(64),
  }).prefault({}),
  /** How often a served moving reference (NAME, @latest, @best, @stage) is re-resolved; 0 = never. */
  watch_interval_ms: z.number().int().nonnegative().default(2000),
});

export const MmmlConfig = z.strictObject({
  data: DataConfig.prefault({}),
  preprocessing: PreprocessingConfig.prefault({}),
  model: ModelConfig.default({
    arch: "mlp",
    hidden: [128, 64],
    dropout: 0.1,
    activation: "relu",
    batch_norm: false,
  }),
  training: TrainingConfig.prefault({}),
  registry: RegistryConfig.prefault({}),
  serving: ServingConfig.prefault({}),
  /** Trials of a hyperparameter sweep (mmml sweep run | submit; src/config/sweep_schema.ts). */
  sweep: SweepConfig.optional(),
});
export type MmmlConfig = z.infer<typeof MmmlConfig>;
export type DataConfig = z.infer<typeof DataConfig>;
export type PreprocessingConfig = z.infer<typeof PreprocessingConfig>;
export type TrainingConfig = z.infer<typeof TrainingConfig>;
export type OptimizerConfig = TrainingConfig["optimizer"];
export type ServingConfig = z.infer<typeof ServingConfig>;
