/**
 * The per-request bounds of serving.limits: rows and images per request, and the pixels an image request
 * may ask the server to decode, read from the images' headers before a byte is decoded (a 1 KB JPEG may
 * claim 8000 x 8000 pixels). Past a bound the answer is 413 naming the setting; nothing is decoded.
 */
import { readImageHeader } from "../data/image_decode.ts";
import type { ServingConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";

export type Limits = ServingConfig["limits"];

/** 413 unless `count` is within `max` (the `setting` of serving.limits that bounds it). */
export function requireWithin(what: string, count: number, max: number, setting: keyof Limits): void {
  if (count <= max) return;
  throw new MmmlError(
    "payload_too_large",
    `${what}: expected at most ${max} per request (serving.limits.${setting}), received ${count}; ` +
      `send them in several requests`,
    { details: { limit: max, received: count } },
  );
}

/** Checks the image count, each image's pixels and their total, from the headers alone. */
export function checkImageBudget(images: readonly Uint8Array[], limits: Limits): void {
  requireWithin("images", images.length, limits.max_images, "max_images");
  let total = 0;
  images.forEach((bytes, i) => {
    const header = readImageHeader(bytes);
    if (!header) return; // not an image: the decoder names it
    const pixels = header.width * header.height;
    if (pixels > limits.max_image_pixels) {
      throw new MmmlError(
        "payload_too_large",
        `images[${i}]: ${header.width}x${header.height} is ${pixels} pixels, over the ${limits.max_image_pixels} ` +
          `allowed per image (serving.limits.max_image_pixels); send it resized`,
      );
    }
    total += pixels;
  });
  if (total > limits.max_request_pixels) {
    throw new MmmlError(
      "payload_too_large",
      `images: ${total} pixels in all, over the ${limits.max_request_pixels} allowed per request ` +
        `(serving.limits.max_request_pixels); send fewer or smaller images per request`,
    );
  }
}
