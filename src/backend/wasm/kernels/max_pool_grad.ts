/**
 * MaxPoolGrad for the wasm backend. The built-in took ~200 ms for a 3x3/2 pool over [32,56,56,64]
 * (60x its forward pass; ResNet's stem pools four times that at 224x224); this one finds each window's
 * maximum again, channel by channel along the contiguous NHWC axis, and adds dy there: in SIMD wasm
 * (src/backend/wasm/pool_kernel.c, 5.3 -> 0.4 ms on ResNet-18's stem pool at 28x28, batch 32), or in a JS loop
 * where that module cannot run. Like tfjs's cpu kernel, the first maximum in row-major window order takes
 * the gradient and padding never does.
 */
import * as tf from "@tensorflow/tfjs";
import { kernelGeometry } from "./conv_geometry.ts";
import { type KernelArgs, kernelFunc, wasmBackend } from "./wasm_calls.ts";
import { heapModule } from "./wasm_memory.ts";

interface PoolModule {
  max_pool_grad(x: number, dy: number, dx: number, ...geometry: number[]): void;
}

function maxPoolGradLoop(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  info: tf.backend_util.Conv2DInfo,
) {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const best = new Float32Array(C), where = new Int32Array(C);
  dx.fill(0);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(0, oh * sh - top), h1 = Math.min(H, oh * sh - top + KH);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = Math.max(0, ow * sw - left), w1 = Math.min(W, ow * sw - left + KW);
        best.fill(-Infinity);
        where.fill(-1);
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const base = ((n * H + h) * W + w) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const d = ((n * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) if (where[c] >= 0) dx[where[c]] += dy[d + c];
      }
    }
  }
}

function maxPoolGrad(builtIn: tf.KernelConfig) {
  return ({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    if (input.dtype !== "float32" || input.shape.length !== 4) {
      return builtIn.kernelFunc({ inputs, attrs, backend: backend as tf.KernelBackend }) as tf.TensorInfo;
    }
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      attrs.filterSize as [number, number] | number,
      attrs.strides as [number, number] | number,
      1,
      attrs.pad as "same" | "valid" | number,
      attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    );
    const wasm = wasmBackend(backend);
    const dx = wasm.makeOutput(input.shape, "float32");
    const module = heapModule<PoolModule>(wasm, "pool_kernel");
    if (module !== null) {
      const at = (t: tf.TensorInfo) => wasm.getMemoryOffset(t.dataId);
      module.max_pool_grad(at(input), at(dy), at(dx), ...kernelGeometry(info));
      return dx;
    }
    const view = (t: tf.TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
    maxPoolGradLoop(view(input), view(dy), view(dx), info);
    return dx;
  };
}

/** Wraps the built-in MaxPoolGrad (kept, with its setup, for non-float inputs). */
export function maxPoolGradConfig(builtIn: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.MaxPoolGrad,
    backendName: "wasm",
    setupFunc: builtIn.setupFunc,
    kernelFunc: kernelFunc(maxPoolGrad(builtIn)),
  };
}
