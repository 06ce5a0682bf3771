/**
 * Conv2D, FusedConv2D (no bias or a per-channel one; linear or ReLU), Conv2DBackpropInput and
 * Conv2DBackpropFilter by mmml's direct convolution kernels (src/engine/conv_kernel.c). They multiply
 * only the taps that read real pixels and never repack the filter, where XNNPACK multiplies every tap
 * (padding included) and repacks the filter on every call because the weights change every step.
 *
 * Measured on ResNet-18 at 28x28, batch 32 (bench/wasm_kernels_bench.ts): see the README's figures.
 *
 * The kernels take over where they apply: float32 NHWC, dilation 1, and at least MIN_CHANNELS input
 * channels (a 3-channel stem has too little work per tap; XNNPACK's im2col form suits it better).
 * Everything else goes to the kernel registered before (mmml's composed ones or the built-ins).
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { forwardConvInfo } from "./conv_geometry.ts";
import { wasmBackend } from "./wasm_calls.ts";
import { heapModule } from "./wasm_memory.ts";

/** Fewer input channels than this go to the previous kernel. */
export const MIN_CHANNELS = 8;

type Geometry = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

interface ConvModule {
  conv_forward(
    x: number,
    f: number,
    bias: number,
    y: number,
    rows: number,
    ...g: [...Geometry, number]
  ): void;
  conv_input_grad(dy: number, f: number, dx: number, tapT: number, rows: number, ...g: Geometry): void;
  conv_filter_grad(x: number, dy: number, dw: number, rows: number, ...g: Geometry): void;
}

/** The kernels bound to `backend`'s memory, or null where they cannot run (no SIMD, no memory found). */
export function convModule(backend: BackendWasm): ConvModule | null {
  return heapModule<ConvModule>(backend, "conv_kernel");
}

function geometry(info: tf.backend_util.Conv2DInfo): Geometry {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** Whether the direct kernels take a convolution of this geometry. */
export function takesConv(info: tf.backend_util.Conv2DInfo): boolean {
  return info.dilationHeight === 1 && info.dilationWidth === 1 && info.inChannels >= MIN_CHANNELS &&
    info.outHeight > 0 && info.outWidth > 0 && info.dataFormat === "channelsLast";
}

/** The convolution's info when the direct kernels take it, else null. */
function directInfo(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap) {
  if (((attrs.dataFormat as string | undefined) ?? "NHWC") !== "NHWC") return null;
  const dilations = (attrs.dilations as number | number[] | undefined) ?? 1;
  if ([dilations].flat().some((d) => d !== 1)) return null;
  const info = forwardConvInfo(xShape, filterShape, attrs, false);
  return takesConv(info) ? info : null;
}

/** Runs `fn` with scratch for the row addresses of one tap (two per output position), then frees it. */
function withRows(backend: BackendWasm, info: tf.backend_util.Conv2DInfo, fn: (rows: number) => void): void {
  const rows = backend.makeOutput([2 * info.batchSize * info.outHeight * info.outWidth], "float32");
  try {
    fn(backend.getMemoryOffset(rows.dataId));
  } finally {
    backend.disposeData(rows.dataId);
  }
}

const float32 = (...ts: (tf.TensorInfo | undefined)[]) =>
  ts.every((t) => t === undefined || t.dtype === "float32");

function forward(previous: tf.KernelConfig, fused: boolean): tf.KernelFunc {
  return (args) => {
    const { inputs, backend: b } = args;
    const attrs = args.attrs ?? {};
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
    const activation = (attrs.activation as string | undefined) ?? "linear";
    const backend = wasmBackend(b);
    const module = convModule(backend);
    const info = module && float32(x, filter, bias) ? directInfo(x!.shape, filter!.shape, attrs) : null;
    const supported = !fused ||
      ((activation === "linear" || activation === "relu") && preluActivationWeights === undefined &&
        (bias === undefined || tf.util.sizeFromShape(bias.shape) === info?.outChannels));
    if (module === null || info === null || !supported) return previous.kernelFunc(args);
    const y = backend.makeOutput(info.outShape, "float32");
    const at = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
    withRows(backend, info, (rows) =>
      module.conv_forward(
        at(x!),
        at(filter!),
        bias === undefined ? 0 : at(bias),
        at(y),
        rows,
        ...geometry(info),
        activation === "relu" ? 1 : 0,
      ));
    return y;
  };
}

function inputGrad(previous: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs ?? {};
    const backend = wasmBackend(args.backend);
    const module = convModule(backend);
    const xShape = attrs.inputShape as number[];
    const info = module && float32(dy, filter) ? directInfo(xShape, filter.shape, attrs) : null;
    if (module === null || info === null) return previous.kernelFunc(args);
    const dx = backend.makeOutput(xShape, "float32");
    const tapT = backend.makeOutput([filter.shape[2] * filter.shape[3]], "float32");
    const at = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
    try {
      withRows(
        backend,
        info,
        (rows) => module.conv_input_grad(at(dy), at(filter), at(dx), at(tapT), rows, ...geometry(info)),
      );
    } finally {
      backend.disposeData(tapT.dataId);
    }
    return dx;
  };
}

function filterGrad(previous: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs ?? {};
    const backend = wasmBackend(args.backend);
    const module = convModule(backend);
    const filterShape = attrs.filterShape as number[];
    const info = module && float32(x, dy) ? directInfo(x.shape, filterShape, attrs) : null;
    if (module === null || info === null) return previous.kernelFunc(args);
    const dw = backend.makeOutput(filterShape, "float32");
    const at = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
    withRows(
      backend,
      info,
      (rows) => module.conv_filter_grad(at(x), at(dy), at(dw), rows, ...geometry(info)),
    );
    return dw;
  };
}

/** Wraps the kernel registered before under the same name (kept for shapes these kernels do not take). */
export function directConvConfig(previous: tf.KernelConfig): tf.KernelConfig {
  const name = previous.kernelName;
  const fn = name === tf.Conv2D
    ? forward(previous, false)
    : name === tf.FusedConv2D
    ? forward(previous, true)
    : name === tf.Conv2DBackpropInput
    ? inputGrad(previous)
    : name === tf.Conv2DBackpropFilter
    ? filterGrad(previous)
    : null;
  if (fn === null) throw new Error(`directConvConfig: no direct kernel for '${name}'`);
  return { kernelName: name, backendName: "wasm", setupFunc: previous.setupFunc, kernelFunc: fn };
}
