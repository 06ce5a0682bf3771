/**
 * The one place that picks the TensorFlow.js backend. Issue 2: wasm (default) and cpu. Issue 6 adds
 * auto/webgpu/tensorflow here.
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { MmmlError } from "../errors.ts";

export const BACKEND_NAMES = ["auto", "wasm", "webgpu", "tensorflow", "cpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendChoice {
  name: Exclude<BackendName, "auto">;
  reason: string;
}

let wasmPathsSet = false;

/** Initialises and activates a backend; returns what was chosen and why. */
export async function useBackend(requested: BackendName = "wasm"): Promise<BackendChoice> {
  if (requested === "wasm" || requested === "auto") {
    if (!wasmPathsSet) {
      const dir = new URL(import.meta.resolve("@tensorflow/tfjs-backend-wasm")).pathname.replace(/[^/]+$/, "");
      setWasmPaths(dir.endsWith("/dist/") ? dir : dir.replace(/\/?$/, "/"));
      wasmPathsSet = true;
    }
    if (await tf.setBackend("wasm")) {
      await tf.ready();
      return { name: "wasm", reason: requested === "auto" ? "auto: default CPU engine" : "requested" };
    }
    throw new MmmlError("backend_unavailable", "The wasm backend failed to initialise");
  }
  if (requested === "cpu") {
    await tf.setBackend("cpu");
    await tf.ready();
    return { name: "cpu", reason: "requested" };
  }
  throw new MmmlError(
    "backend_unavailable",
    `Backend "${requested}" is not available yet in this build (see issue 6); use --backend wasm or cpu`,
  );
}
