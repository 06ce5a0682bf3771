/**
 * Reproducible randomness during training. Every random choice of a run (shuffle order per epoch, dropout
 * masks per step) gets a seed derived from the run's one seed, so the same seed and data give the same
 * history on every machine.
 */
import type * as tf from "@tensorflow/tfjs";

/** Mixes a base seed with indices (epoch, step, layer...) into an independent uint32 seed. */
export function deriveSeed(base: number, ...parts: number[]): number {
  let h = (Math.floor(base) >>> 0) ^ 0x811c9dc5;
  for (const part of [...parts, parts.length]) {
    h = Math.imul(h ^ (Math.floor(part) >>> 0), 0x01000193);
    // murmur3 finaliser, so nearby inputs (epoch 1, epoch 2) give unrelated seeds
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

interface SeededLayer {
  seed?: number;
}

/** Layers, nested models included, that draw random numbers from a `seed` field while training. */
export function seededLayers(net: tf.LayersModel): tf.layers.Layer[] {
  const found: tf.layers.Layer[] = [];
  const walk = (layers: tf.layers.Layer[]) => {
    for (const layer of layers) {
      const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (Array.isArray(nested)) walk(nested);
      else if ("seed" in layer && "rate" in layer) found.push(layer);
    }
  };
  walk(net.layers);
  return found;
}

/**
 * Gives each random layer a fresh seed for the next training step. A tfjs Dropout layer built with a
 * fixed `seed` draws the same mask on every call, and one built without draws from Math.random; setting
 * `seed` before each step gives a new mask every step that is still fixed by the run's seed.
 */
export function reseedLayers(layers: tf.layers.Layer[], seed: number): void {
  for (let i = 0; i < layers.length; i++) {
    (layers[i] as unknown as SeededLayer).seed = deriveSeed(seed, i);
  }
}
