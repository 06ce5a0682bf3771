/**
 * MmmlBatchNormTrain and its gradient (backend/batch_norm_op.ts) on oneDNN's batch normalization:
 * forward training with scale and shift gives y, the batch mean and the biased variance; backward gives
 * dx, dgamma and dbeta. The data is described in place: NHWC for rank 4, [rows, C] otherwise.
 */
import * as tf from "@tensorflow/tfjs";
import { BN_TRAIN, BN_TRAIN_GRAD } from "../../batch_norm_op.ts";
import { check, DNNL } from "../dnnl_lib.ts";
import { type Md, mdTag, opDesc, Primitive, primitiveDesc } from "../primitive.ts";
import { nativeKernel, type NativeKernelContext } from "../native_kernel.ts";

const FLAGS = DNNL.useScale | DNNL.useShift;

function dataMd(ctx: NativeKernelContext, shape: readonly number[]): Md {
  const c = shape[shape.length - 1];
  if (shape.length === 4) return mdTag(ctx.dnnl, [shape[0], c, shape[1], shape[2]], DNNL.nhwc);
  return mdTag(ctx.dnnl, [tf.util.sizeFromShape(shape as number[]) / c, c], DNNL.ab);
}

function forwardPd(ctx: NativeKernelContext, data: Md, epsilon: number): Deno.PointerObject {
  const desc = opDesc();
  check(
    ctx.dnnl.symbols.dnnl_batch_normalization_forward_desc_init(
      desc,
      DNNL.forwardTraining,
      data,
      epsilon,
      FLAGS,
    ),
    "batch_normalization_forward_desc_init",
  );
  return primitiveDesc(ctx.dnnl, desc);
}

function build(
  ctx: NativeKernelContext,
  shape: readonly number[],
  epsilon: number,
  backward: boolean,
): Primitive {
  const data = dataMd(ctx, shape), stat = mdTag(ctx.dnnl, [shape[shape.length - 1]], DNNL.a);
  const fwd = forwardPd(ctx, data, epsilon);
  if (!backward) {
    return new Primitive(ctx.dnnl, fwd, [
      { arg: DNNL.argSrc, query: DNNL.qSrcMd, md: data },
      { arg: DNNL.argScale, query: null, md: stat },
      { arg: DNNL.argShift, query: null, md: stat },
      { arg: DNNL.argDst, query: DNNL.qDstMd, md: data, out: true },
      { arg: DNNL.argMean, query: null, md: stat, out: true },
      { arg: DNNL.argVariance, query: null, md: stat, out: true },
    ]);
  }
  const desc = opDesc();
  check(
    ctx.dnnl.symbols.dnnl_batch_normalization_backward_desc_init(
      desc,
      DNNL.backward,
      data,
      data,
      epsilon,
      FLAGS,
    ),
    "batch_normalization_backward_desc_init",
  );
  return new Primitive(ctx.dnnl, primitiveDesc(ctx.dnnl, desc, fwd), [
    { arg: DNNL.argSrc, query: DNNL.qSrcMd, md: data },
    { arg: DNNL.argDiffDst, query: DNNL.qDiffDstMd, md: data },
    { arg: DNNL.argScale, query: null, md: stat },
    // oneDNN 2.6 checks that a shift is passed with use_shift, though the backward pass does not read it.
    { arg: DNNL.argShift, query: null, md: stat },
    { arg: DNNL.argMean, query: null, md: stat },
    { arg: DNNL.argVariance, query: null, md: stat },
    { arg: DNNL.argDiffSrc, query: DNNL.qDiffSrcMd, md: data, out: true },
    { arg: DNNL.argDiffScale, query: null, md: stat, out: true },
    { arg: DNNL.argDiffShift, query: null, md: stat, out: true },
  ]);
}

const forward = nativeKernel(BN_TRAIN, (ctx, { x, gamma, beta }, attrs) => {
  if (!ctx.allFloat([x, gamma, beta]) || x.shape.length < 2) return null;
  const eps = attrs.epsilon as number, c = x.shape[x.shape.length - 1];
  const prim = ctx.cache.get(`bn|fwd|${x.shape}|${eps}`, () => build(ctx, x.shape, eps, false));
  const y = ctx.output(x.shape), mean = ctx.output([c]), variance = ctx.output([c]);
  prim.run([ctx.values(x), ctx.values(gamma), ctx.values(beta), y.values, mean.values, variance.values]);
  return [y.info, mean.info, variance.info];
});

const backward = nativeKernel(BN_TRAIN_GRAD, (ctx, { x, dy, gamma, mean, variance }, attrs) => {
  if (!ctx.allFloat([x, dy, gamma, mean, variance]) || x.shape.length < 2) return null;
  const eps = attrs.epsilon as number, c = x.shape[x.shape.length - 1];
  const prim = ctx.cache.get(`bn|bwd|${x.shape}|${eps}`, () => build(ctx, x.shape, eps, true));
  const dx = ctx.output(x.shape), dgamma = ctx.output([c]), dbeta = ctx.output([c]);
  prim.run([
    ctx.values(x),
    ctx.values(dy),
    ctx.values(gamma),
    ctx.values(gamma),
    ctx.values(mean),
    ctx.values(variance),
    dx.values,
    dgamma.values,
    dbeta.values,
  ]);
  return [dx.info, dgamma.info, dbeta.info];
});

export const BATCH_NORM_KERNELS = [forward, backward];
