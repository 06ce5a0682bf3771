/**
 * The `sweep:` section of a config file (mmml sweep run | submit): which metric to optimise, how trials
 * are drawn, and the config keys they vary. Its keys read like W&B sweeps and Ray Tune's search spaces:
 *
 *   sweep:
 *     metric: val.macro_f1          # a key of the versions' metrics (val.* or test.*)
 *     mode: max                     # default: min for loss, rmse, mae, mape; max otherwise
 *     method: grid                  # grid (every combination of the lists) | random
 *     trials: 20                    # random only: how many draws
 *     seed: 0                       # random only
 *     parameters:
 *       training.optimizer.lr: {distribution: log_uniform, min: 1.0e-4, max: 1.0e-2}
 *       model.hidden: [[64], [128, 64]]
 *       training.batch_size: [32, 64]
 */
import { z } from "zod";

/** A value a parameter takes; lists are values too (model.hidden: [[64], [128, 64]]). */
const ParamValue: z.ZodType<unknown> = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()),
]);

/** A range for random search: uniform, log-uniform (both ends > 0) or whole numbers (both ends included). */
export const SweepRange = z.strictObject({
  distribution: z.enum(["uniform", "log_uniform", "int_uniform"]),
  min: z.number(),
  max: z.number(),
}).refine((r) => r.min <= r.max, { message: "min must not be above max" })
  .refine((r) => r.distribution !== "log_uniform" || r.min > 0, { message: "log_uniform needs min > 0" })
  .refine((r) => r.distribution !== "int_uniform" || (Number.isInteger(r.min) && Number.isInteger(r.max)), {
    message: "int_uniform needs whole numbers",
  });
export type SweepRange = z.infer<typeof SweepRange>;

/** A list of values (grid, or a random choice) or a range (random only). */
export const SweepParameter = z.union([z.array(ParamValue).min(1, "needs at least one value"), SweepRange]);
export type SweepParameter = z.infer<typeof SweepParameter>;

export const SweepConfig = z.strictObject({
  metric: z.string().regex(/^(val|test)\.[A-Za-z0-9_]+$/, "val.NAME or test.NAME, e.g. val.macro_f1"),
  mode: z.enum(["min", "max"]).optional(),
  method: z.enum(["grid", "random"]).default("grid"),
  trials: z.number().int().positive().optional(),
  seed: z.number().int().default(0),
  parameters: z.record(z.string(), SweepParameter),
  /**
   * Queue only: seconds a worker may go without a heartbeat before its trial is given to another
   * (pg-boss heartbeatSeconds, at least 10); a worker beats every half of it while it trains.
   */
  lease_seconds: z.number().int().min(10).default(60),
  /** Queue only: how many times a trial whose training failed (or whose worker died) is tried again. */
  retries: z.number().int().nonnegative().default(2),
});
export type SweepConfig = z.infer<typeof SweepConfig>;

/** The direction of `metric` when the sweep does not say: errors and losses go down, scores up. */
export function defaultMode(metric: string): "min" | "max" {
  return /(loss|rmse|mae|mape|mse|error)$/i.test(metric) ? "min" : "max";
}
