/**
 * A model served on ONNX Runtime: its graph, the encoder that turns rows or images into the graph's
 * inputs, and its class names. src/runs/load_predictor.ts assembles these from a version folder.
 */
import { MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ModelVersion } from "../registry/registry_types.ts";
import { createOnnxSession, type OnnxRunner, type ProviderName, type TensorData } from "./onnx_session.ts";
import type { NamedTensor, Prediction, Predictor, TensorMeta } from "./predictor_types.ts";
import {
  checkImageSignature,
  createImageInput,
  type ImageDecoding,
  type ImageInput,
  MAX_IMAGES_PER_RUN,
} from "./image_input.ts";
import { parseInferInputs } from "./infer_inputs.ts";
import { extraColumns, type TabularInput } from "./tabular_input.ts";

/** Rows per ONNX Runtime run in predictRows, bounding memory on very large batches. */
export const MAX_ROWS_PER_RUN = 4096;

/** What turns requests into the graph's inputs: rows for a tabular model, encoded images for an image model. */
export type PredictorInput = { tabular: TabularInput; output?: "value" } | { image: ImageInput };

/** How a predictor's ONNX Runtime session is opened. */
export interface SessionOptions {
  providers?: readonly ProviderName[];
  intraOpThreads?: number;
  requireProviders?: boolean;
  logger?: Logger;
  /** A server's decode pool: an image model then decodes off the event loop (image_decode_pool.ts). */
  imageDecoding?: ImageDecoding;
}

/** What a predictor is made of: the version, its classes and input encoder, and the ONNX model. */
export interface PredictorParts {
  version: ModelVersion;
  classes: string[];
  input: PredictorInput;
  /** model.onnx's path, or its bytes (exported on load for an older version without the file). */
  onnx: string | Uint8Array;
  /** Names the model in messages about the graph (its path, usually). */
  onnxName: string;
  /** When loading began (performance.now()), for the predictor's loadSeconds; default now. */
  started?: number;
}

/**
 * Opens an ONNX Runtime session on the parts and checks the graph takes what the input encoder makes
 * and gives one probability per class; a mismatch is `artifact_corrupt` naming the file.
 */
export async function openPredictor(
  { version, classes, input, onnx, onnxName, started = performance.now() }: PredictorParts,
  { providers = ["cuda", "cpu"], intraOpThreads = 0, requireProviders = false, logger, imageDecoding }:
    SessionOptions = {},
): Promise<Predictor> {
  const { meta } = version;
  const ref = `${meta.name}@${meta.version}`;
  const tabular = "tabular" in input ? input.tabular : null;
  const given = "image" in input ? input.image : null;
  const image = given && imageDecoding ? createImageInput(given.pre, onnxName, imageDecoding) : given;
  const regression = "tabular" in input && input.output === "value";
  const { session, provider } = await createOnnxSession(onnx, {
    providers,
    intraOpThreads,
    requireProviders,
    logger,
    source: typeof onnx === "string" ? onnx : `${ref} (exported on load)`,
  });
  try {
    if (regression) checkValueSignature(session, onnxName);
    else checkSignature(session, classes, tabular, onnxName);
    if (image) checkImageSignature(session, image, onnxName);
  } catch (err) {
    await session.close();
    throw err;
  }
  const loadSeconds = (performance.now() - started) / 1000;
  return createPredictor({ version, session, provider, classes, tabular, image, regression, loadSeconds });
}

/** A regression's graph gives one `value` per row. */
function checkValueSignature(session: OnnxRunner, file: string): void {
  const out = session.outputs.find((o) => o.name === ONNX_VALUE);
  if (!out || out.shape.length !== 2 || (out.shape[1] >= 0 && out.shape[1] !== 1)) {
    throw new MmmlError(
      "artifact_corrupt",
      `${file}: expected output "${ONNX_VALUE}" [N, 1] (a regression), received ${
        session.outputs.map((o) => `${o.name} [${o.shape}]`).join(", ")
      }`,
    );
  }
}

/** The output a regression's graph names its value (src/export/onnx_exporter.ts ONNX_NAMES.value). */
const ONNX_VALUE = "value";

function createPredictor(
  { version, session, provider, classes, tabular, image, regression, loadSeconds }: {
    version: ModelVersion;
    session: OnnxRunner;
    provider: ProviderName;
    classes: string[];
    tabular: TabularInput | null;
    image: ImageInput | null;
    regression: boolean;
    loadSeconds: number;
  },
): Predictor {
  const { meta } = version;
  let closed = false;
  const live = () => {
    if (closed) throw new MmmlError("not_ready", `Model ${meta.name}@${meta.version} has been unloaded`);
  };
  const inputNames = new Set(session.inputs.map((i) => i.name));
  const toPredictions = (probs: Float32Array, rows: number): Prediction[] => {
    const k = classes.length;
    const out: Prediction[] = [];
    for (let r = 0; r < rows; r++) {
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let c = 0; c < k; c++) {
        probabilities[classes[c]] = probs[r * k + c];
        if (probs[r * k + c] > probs[r * k + best]) best = c;
      }
      out.push({ label: classes[best], probabilities });
    }
    return out;
  };
  return {
    name: meta.name,
    version: meta.version,
    meta,
    takes: tabular ? "rows" : "images",
    extraColumns: (rows) => tabular ? extraColumns(tabular, rows) : [],
    provider,
    loadSeconds,
    async predictRows(rows) {
      live();
      if (!tabular) {
        throw new MmmlError(
          "unsupported",
          `Model ${meta.name}@${meta.version} is an image model; send images, not rows`,
        );
      }
      if (!Array.isArray(rows)) {
        throw new MmmlError(
          "validation_failed",
          `instances: expected an array of rows, received ${typeof rows}`,
        );
      }
      const batch = tabular.encode(rows);
      const out: Prediction[] = [];
      for (let start = 0; start < batch.rows; start += MAX_ROWS_PER_RUN) {
        const n = Math.min(MAX_ROWS_PER_RUN, batch.rows - start);
        const slice = {
          rows: n,
          numeric: batch.numeric.subarray(start * tabular.numericWidth, (start + n) * tabular.numericWidth),
          categorical: batch.categorical.subarray(
            start * tabular.categoricalWidth,
            (start + n) * tabular.categoricalWidth,
          ),
        };
        const feeds: Record<string, TensorData> = {};
        if (inputNames.has("input")) {
          feeds.input = {
            type: "float32",
            data: tabular.features(slice),
            dims: [n, tabular.numericWidth + tabular.categoricalWidth],
          };
        } else {
          if (tabular.numericWidth > 0) {
            feeds.numeric = { type: "float32", data: slice.numeric, dims: [n, tabular.numericWidth] };
          }
          if (tabular.categoricalWidth > 0) {
            feeds.categorical = {
              type: "float32",
              data: slice.categorical,
              dims: [n, tabular.categoricalWidth],
            };
          }
        }
        const result = await session.run(feeds);
        if (regression) {
          for (const v of result[ONNX_VALUE].data as Float32Array) out.push({ value: v });
        } else {
          out.push(...toPredictions(result.probabilities.data as Float32Array, n));
        }
      }
      return out;
    },
    async predictImages(images, { signal } = {}) {
      live();
      if (!image) {
        throw new MmmlError(
          "unsupported",
          `Model ${meta.name}@${meta.version} is a tabular model; send rows, not images`,
        );
      }
      if (!Array.isArray(images)) {
        throw new MmmlError(
          "validation_failed",
          `images: expected an array of encoded images, received ${typeof images}`,
        );
      }
      const out: Prediction[] = [];
      for (let start = 0; start < images.length; start += MAX_IMAGES_PER_RUN) {
        const batch = await image.encode(
          images,
          start,
          Math.min(MAX_IMAGES_PER_RUN, images.length - start),
          signal,
        );
        live();
        const result = await session.run({ input: { type: "float32", data: batch.data, dims: batch.dims } });
        out.push(...toPredictions(result.probabilities.data as Float32Array, batch.count));
      }
      return out;
    },
    async infer(inputs) {
      live();
      const feeds = parseInferInputs(inputs, session.inputs);
      const batch = Object.values(feeds)[0]?.dims[0] ?? 0;
      const result = batch === 0 ? emptyOutputs(session.outputs) : await session.run(feeds);
      return session.outputs.map((o): NamedTensor => {
        const t = result[o.name];
        return {
          name: o.name,
          datatype: o.datatype,
          shape: t.dims,
          data: Array.from(t.data as ArrayLike<number>),
        };
      });
    },
    inputs: () => session.inputs.map(copyMeta),
    outputs: () => session.outputs.map(copyMeta),
    async close() {
      if (closed) return;
      closed = true;
      await session.close();
    },
  };
}

const copyMeta = (m: TensorMeta): TensorMeta => ({ ...m, shape: [...m.shape] });

function emptyOutputs(outputs: TensorMeta[]): Record<string, TensorData> {
  return Object.fromEntries(
    outputs.map((
      o,
    ) => [o.name, {
      type: "float32",
      data: new Float32Array(0),
      dims: o.shape.map((d, i) => i === 0 ? 0 : Math.max(d, 0)),
    }]),
  );
}

/** The session must take what the artifacts describe and give one probability per class. */
function checkSignature(
  session: OnnxRunner,
  classes: string[],
  tabular: TabularInput | null,
  file: string,
): void {
  const out = session.outputs.find((o) => o.name === "probabilities");
  if (!out || out.shape.length !== 2 || (out.shape[1] >= 0 && out.shape[1] !== classes.length)) {
    throw new MmmlError(
      "artifact_corrupt",
      `${file}: expected output "probabilities" [N, ${classes.length}] (classes.json), received ${
        session.outputs.map((o) => `${o.name} [${o.shape}]`).join(", ")
      }`,
    );
  }
  if (!tabular) return;
  const widths: Record<string, number> = session.inputs.some((i) => i.name === "input")
    ? { input: tabular.numericWidth + tabular.categoricalWidth }
    : Object.fromEntries(
      [["numeric", tabular.numericWidth], ["categorical", tabular.categoricalWidth]].filter(([, w]) =>
        (w as number) > 0
      ),
    );
  const got = Object.fromEntries(session.inputs.map((i) => [i.name, i.shape[1]]));
  if (JSON.stringify(widths) !== JSON.stringify(got)) {
    throw new MmmlError(
      "artifact_corrupt",
      `${file}: inputs ${JSON.stringify(got)} do not match preprocessor.json, which needs ${
        JSON.stringify(widths)
      }`,
    );
  }
}
