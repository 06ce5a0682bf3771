/**
 * The image preprocessing a model is trained with (size, channels, per-channel mean and std), chosen from
 * the config and saved with the model as image_preprocessing.json, so predict and serve repeat it.
 */
import { z } from "zod";
import type { MmmlConfig } from "../config/schema.ts";

/** image_preprocessing.json: size, channels and normalisation, as training fixed them. */
export const ImagePreprocessing = z.strictObject({
  version: z.literal(1),
  size: z.number().int().positive(),
  channels: z.union([z.literal(1), z.literal(3)]),
  mean: z.array(z.number()).min(1),
  std: z.array(z.number().positive()).min(1),
});
export type ImagePreprocessing = z.infer<typeof ImagePreprocessing>;

/** Input size: data.image.size, else 224 for the ImageNet stem and 32 for the small one. */
export function imageSize(config: MmmlConfig): number {
  if (config.data.image.size) return config.data.image.size;
  return config.model.arch !== "mlp" && config.model.stem === "small" ? 32 : 224;
}

/** Size, channels and normalisation; a 3-value mean/std becomes its average for one channel. */
export function imagePreprocessing(config: MmmlConfig): ImagePreprocessing {
  const { channels, mean, std } = config.data.image;
  const fit = (values: number[]) =>
    channels === 1 && values.length === 3 ? [values.reduce((a, b) => a + b, 0) / 3] : values;
  return { version: 1, size: imageSize(config), channels, mean: fit(mean), std: fit(std) };
}
