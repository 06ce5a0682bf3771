/**
 * Test fixture for the `mmml registry` command tests: a registry with penguins@1..3 and iris@1,
 * registered directly through openRegistry (no training) with small artifacts and a config.json, so
 * each test runs in milliseconds.
 */
import { join } from "node:path";
import { openRegistry } from "../src/registry/open_registry.ts";
import { cli, type CliRun } from "./cli.ts";

/** Hex sha256 of a text, as the registry records each artifact. */
export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What differs between the fixture's versions: metrics, timings, data and config. */
export interface FixtureVersion {
  name: string;
  metrics: Record<string, number>;
  timings?: Record<string, number>;
  data?: string;
  config?: unknown;
}

/** The config penguins@1 was trained with; the others change a few keys of it. */
export const BASE_CONFIG = {
  data: { path: "penguins.csv", label: "species", column_types: { "bill.length": "numeric" } },
  model: { arch: "mlp", hidden: [32, 16], dropout: 0.1 },
  training: { epochs: 10, optimizer: { name: "adam", lr: 0.01 } },
};

export const FIXTURE: readonly FixtureVersion[] = [
  {
    name: "penguins",
    metrics: { "val.macro_f1": 0.91, "val.accuracy": 0.93, "val.log_loss": 0.30, "test.accuracy": 0.9 },
    timings: { train_seconds: 1.5, epochs_run: 10 },
    config: BASE_CONFIG,
  },
  {
    name: "penguins",
    metrics: { "val.macro_f1": 0.95, "val.accuracy": 0.94, "val.log_loss": 0.25, "test.macro_f1": 0.92 },
    timings: { train_seconds: 2.25, epochs_run: 12 },
    config: {
      data: { ...BASE_CONFIG.data, column_types: { "bill.length": "categorical" } },
      model: { arch: "mlp", hidden: [64, 32] },
      training: { epochs: 10, optimizer: { name: "adam", lr: 0.005 }, early_stopping: { patience: 5 } },
    },
  },
  {
    name: "penguins",
    metrics: { "val.macro_f1": 0.93, "val.accuracy": 0.97, "val.log_loss": 0.20 },
    data: "1".repeat(64),
    config: BASE_CONFIG,
  },
  { name: "iris", metrics: { "val.macro_f1": 0.9 } },
];

/**
 * A registry with penguins@1..3 and iris@1, registered directly (no training): classes.json, and a
 * config.json where the fixture has one. Versions are a minute apart from 2026-01-01T00:01:00Z.
 */
export async function fixtureRegistry(dir: string): Promise<string> {
  let t = Date.parse("2026-01-01T00:00:00Z");
  const registry = await openRegistry(dir, { clock: () => new Date(t += 60_000) });
  try {
    for (const v of FIXTURE) {
      await registry.register(v.name, {
        task: "tabular",
        arch: "mlp",
        backend: "wasm",
        classes: ["a", "b"],
        metrics: v.metrics,
        timings: v.timings ?? {},
        data_fingerprint: v.data ?? "0".repeat(64),
        input_shape: [4],
      }, async (d) => {
        await Deno.writeTextFile(join(d, "classes.json"), '["a","b"]');
        if (v.config) await Deno.writeTextFile(join(d, "config.json"), JSON.stringify(v.config, null, 2));
      });
    }
  } finally {
    await registry.close();
  }
  return dir;
}

/**
 * Runs `fn` against a fresh fixture registry in a temporary folder (removed afterwards); `run(...args)`
 * is `mmml registry ARGS --registry DIR`.
 */
export async function withFixture(
  fn: (dir: string, run: (...args: string[]) => Promise<CliRun>) => Promise<void>,
): Promise<void> {
  const dir = await fixtureRegistry(await Deno.makeTempDir({ prefix: "mmml_registry_" }));
  try {
    await fn(dir, (...args) => cli(["registry", ...args, "--registry", dir]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
