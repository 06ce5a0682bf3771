/**
 * A real registry (openRegistry on a temp folder: the embedded SQLite one) holding small versions whose
 * "model" is the linear test predictor, for the repository, watcher and route tests. Each version's
 * weights differ, so a response tells which version answered; loads are recorded, and a version can be
 * made to fail loading.
 */
import { join } from "node:path";
import type { ModelVersion, Registry } from "../src/registry/registry_types.ts";
import { openRegistry } from "../src/registry/open_registry.ts";
import { createLinearPredictor, type LinearPredictor } from "./server_predictor.ts";

const CLASSES = ["setosa", "versicolor", "virginica"];

export interface TestRegistry {
  registry: Registry;
  root: string;
  /** Loads a version as a linear predictor (throws for `name@version` keys in `failing`). */
  load(version: ModelVersion): Promise<LinearPredictor>;
  /** Every predictor `load` made, in order. */
  loads: LinearPredictor[];
  /** `name@version` keys whose load throws. */
  failing: Set<string>;
  /** Registers one more version of `name`; resolves with its number. */
  register(name: string): Promise<number>;
  /** Closes the registry and removes the folder. */
  cleanup(): Promise<void>;
}

/** Opens a registry in a fresh temp folder and registers `versions[name]` versions of each model. */
export async function createTestRegistry(
  versions: Record<string, number> = {},
  { delayMs = 0 }: { delayMs?: number } = {},
): Promise<TestRegistry> {
  const root = await Deno.makeTempDir({ prefix: "mmml_server_registry_" });
  const registry = await openRegistry(join(root, "models"));
  const loads: LinearPredictor[] = [];
  const failing = new Set<string>();
  const register = async (name: string) => {
    const v = await registry.register(name, {
      task: "tabular",
      arch: "linear",
      backend: "cpu",
      classes: CLASSES,
      metrics: {},
      timings: {},
      data_fingerprint: "test",
      input_shape: [4],
    }, (dir) => Deno.writeTextFile(join(dir, "classes.json"), JSON.stringify(CLASSES)));
    return v.meta.version;
  };
  for (const [name, n] of Object.entries(versions)) {
    for (let i = 0; i < n; i++) await register(name);
  }
  return {
    registry,
    root,
    loads,
    failing,
    register,
    load(version) {
      const { name, version: v } = version.meta;
      if (failing.has(`${name}@${v}`)) {
        return Promise.reject(new Error(`${version.dir}/model.onnx: cannot load ${name}@${v} (test)`));
      }
      // Version v favours class (v - 1) % 3, so the label tells which version answered.
      const p = createLinearPredictor({
        name,
        version: v,
        weights: CLASSES.map(() => [0, 0, 0, 0]),
        bias: CLASSES.map((_, k) => (k === (v - 1) % 3 ? 2 : 0)),
        delayMs,
      });
      loads.push(p);
      return Promise.resolve(p);
    },
    async cleanup() {
      await registry.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}
