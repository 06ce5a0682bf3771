/**
 * Dropout masks that the run's seed fixes: the layers that draw random numbers while training, and a
 * fresh seed for them before every step (derived with deriveSeed, src/random.ts), so the same seed and
 * data give the same history on every machine.
 */
import type * as tf from "@tensorflow/tfjs";
import { deriveSeed } from "../random.ts";

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
