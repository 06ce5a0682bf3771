/**
 * The training-mode call of the vision models' BatchNormalization layers. The layer keeps its class, so
 * serialisation and the ONNX export see a plain BatchNormalization; only the instance's `call` changes:
 * - frozen (a frozen backbone): inference mode (moving statistics, no updates), as Keras does for
 *   trainable=false; otherwise tfjs would keep normalising with batch statistics and overwrite the
 *   pretrained moving averages while only the head is meant to learn;
 * - training: on wasm and native one fused op forward and one backward (backend/batch_norm_op.ts),
 *   elsewhere tf.moments + batchNorm as tfjs-layers computes it; and the moving variance averages the
 *   unbiased batch variance (n / (n - 1) times tf.moments' one), as torch's BatchNorm2d and Keras' fused
 *   batch norm do. tfjs-layers averages the biased one, which shrinks the variance used at inference,
 *   most on the smallest maps (ResNet-18's last stage at 28x28 normalises over the batch alone).
 * Everything else goes to the inherited call.
 */
import * as tf from "@tensorflow/tfjs";
import { batchNormTrain, batchNormTrainApplies } from "../backend/batch_norm_op.ts";

type CallFn = tf.layers.Layer["call"];

/** A tfjs-layers LayerVariable (not exported by name). */
interface LayerVariable {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

/** The parts of tfjs-layers' BatchNormalization that its training-mode call reads. */
interface BatchNormInternals {
  gamma: LayerVariable | null;
  beta: LayerVariable | null;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
  epsilon: number;
  momentum: number;
  axis: number;
}

/** [y, mean, biased variance] over every axis but the last, as tfjs-layers' normalizeBatchInTraining. */
function momentsBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor[] {
  const { mean, variance } = tf.moments(x, x.shape.slice(0, -1).map((_, i) => i));
  return [tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean, variance];
}

/** Replaces `layer.call` as described above; `frozen` is read at every call. */
export function installBatchNormCall(layer: tf.layers.Layer, frozen: () => boolean): void {
  const inherited = Object.getPrototypeOf(layer).call as CallFn;
  const bn = layer as unknown as BatchNormInternals;
  (layer as unknown as { call: CallFn }).call = (inputs, kwargs) => {
    if (frozen()) return inherited.call(layer, inputs, { ...kwargs, training: false });
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = bn.axis === -1 || bn.axis === x.rank - 1;
    const rows = x.size / x.shape[x.rank - 1];
    if (!kwargs.training || !lastAxis || !bn.gamma || !bn.beta || rows < 2) {
      return inherited.call(layer, inputs, kwargs);
    }
    return tf.tidy(() => {
      const normalize = batchNormTrainApplies(x) ? batchNormTrain : momentsBatchNorm;
      const [y, mean, variance] = normalize(x, bn.gamma!.read(), bn.beta!.read(), bn.epsilon);
      const unbiased = tf.mul(variance, rows / (rows - 1));
      for (const [moving, batch] of [[bn.movingMean, mean], [bn.movingVariance, unbiased]] as const) {
        tf.tidy(() => {
          const old = moving.read();
          moving.write(tf.sub(old, tf.mul(tf.sub(old, batch), 1 - bn.momentum)));
        });
      }
      return y;
    });
  };
}
