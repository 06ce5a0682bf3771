/**
 * Real trained models for the server's end-to-end tests: a small seeded CSV with two numeric columns
 * (one with missing cells) and a categorical one, trained by the real pipeline (runTraining: tfjs
 * training, ONNX export, registration) into an embedded registry, one version per seed. Tiny network,
 * few epochs: a version trains in well under a second.
 */
import { join } from "node:path";
import { MmmlConfig } from "../src/config/schema.ts";
import { createMemoryLogger } from "../src/log.ts";
import { runTraining } from "../src/runs/train.ts";
import { createRng } from "../src/random.ts";
import { openRegistry } from "../src/registry/open_registry.ts";
import type { Registry } from "../src/registry/registry_types.ts";

/** The colours of the categorical column. */
export const COLORS = ["blue", "green", "red"] as const;

/** A request row of the toy data (the label left out). */
export interface ToyRow {
  x1: number;
  x2: number | null;
  color: string;
  [column: string]: unknown;
}

export interface TrainedRegistry {
  root: string;
  /** Path of the registry folder (for --registry). */
  registryPath: string;
  registry: Registry;
  /** Rows to predict; row 1 has a missing x2. */
  rows: ToyRow[];
  /** The same rows as a CSV file (label column left out), for `mmml predict`. */
  rowsCsv: string;
  /** Closes the registry and removes the folder. */
  cleanup(): Promise<void>;
}

function toyCsv(n: number, seed: number): string {
  const rng = createRng(seed);
  const lines = ["x1,x2,color,label"];
  for (let i = 0; i < n; i++) {
    const x1 = rng.next() * 4;
    const x2 = rng.next() * 2;
    const color = COLORS[i % 3];
    const score = x1 + x2 / 2 + (color === "red" ? 1 : color === "blue" ? -1 : 0);
    const label = score < 1.5 ? "low" : score < 3 ? "mid" : "high";
    // Every seventh x2 is missing, so the schema makes it nullable and the graph imputes it.
    lines.push(`${x1.toFixed(3)},${i % 7 === 3 ? "" : x2.toFixed(3)},${color},${label}`);
  }
  return lines.join("\n") + "\n";
}

/** Trains `seeds.length` versions of model `name` (one per seed) into a fresh registry folder. */
export async function trainToyModels(
  { name = "toy", seeds = [1, 2] }: { name?: string; seeds?: number[] } = {},
): Promise<TrainedRegistry> {
  const root = await Deno.makeTempDir({ prefix: "mmml_server_trained_" });
  const registryPath = join(root, "models");
  const data = join(root, "toy.csv");
  await Deno.writeTextFile(data, toyCsv(90, 7));
  const registry = await openRegistry(registryPath);
  const logger = createMemoryLogger("warn");
  for (const seed of seeds) {
    const config = MmmlConfig.parse({
      data: { path: data, label: "label" },
      model: { arch: "mlp", hidden: [8], dropout: 0 },
      training: { epochs: 3, seed, progress: false, backend: "cpu" },
      registry: { path: registryPath, name },
    });
    await runTraining(config, { registry, logger });
  }
  const rows: ToyRow[] = [
    { x1: 0.2, x2: 0.5, color: "blue" },
    { x1: 2.5, x2: null, color: "green" },
    { x1: 3.9, x2: 1.7, color: "red" },
    { x1: 1.1, x2: 0.05, color: "red" },
  ];
  const rowsCsv = join(root, "rows.csv");
  await Deno.writeTextFile(
    rowsCsv,
    ["x1,x2,color", ...rows.map((r) => `${r.x1},${r.x2 ?? ""},${r.color}`)].join("\n") + "\n",
  );
  return {
    root,
    registryPath,
    registry,
    rows,
    rowsCsv,
    async cleanup() {
      await registry.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}
