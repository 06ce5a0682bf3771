/**
 * The Trainer: epochs of shuffled mini-batches, validation after every epoch, callbacks with the Keras
 * hook names. The step itself is delegated to a StepEngine: tfjs kernels for any model, or the fused
 * dense engine for a plain MLP on a CPU backend ("auto" picks the fused one when it can).
 */
import * as tf from "@tensorflow/tfjs";
import { describeValue, MmmlError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { MmmlModel } from "../models/model.ts";
import type { EpochLog, TrainContext, TrainEngineName } from "./callbacks/callback.ts";
import { callbackList } from "./callbacks/callback_list.ts";
import { isImprovement, monitoredValue, resolveMode } from "./callbacks/callback.ts";
import type { DataSource } from "../data/data_source.ts";
import { trainEpoch, validate } from "./epoch.ts";
import { createFusedEngine, fusedEngineVerdict } from "./engines/fused_engine.ts";
import { checkLrSchedule, stepRates } from "./lr_schedule.ts";
import { deriveSeed } from "../random.ts";
import type { StepEngine } from "./engines/step_engine.ts";
import { createTfjsEngine } from "./engines/tfjs_engine.ts";
import type { TrainerState } from "./trainer_state.ts";
import type { FitOptions } from "./fit_options.ts";

export interface FitResult {
  /** Every epoch's log, a resumed run's earlier epochs included. */
  history: EpochLog[];
  /** True when a callback (or requestStop) ended training before the last epoch. */
  stoppedEarly: boolean;
  stopReason: string | null;
  /** The epoch (from 1) with the best monitored figure. */
  bestEpoch: number;
  /** Seconds spent in training steps only (not loading, validating or callbacks), over resumed parts too. */
  trainSeconds: number;
  /** Rows trained on per second of trainSeconds. */
  samplesPerSecond: number;
  engine: TrainEngineName;
  /** Why that engine was used. */
  engineReason: string;
}

export interface Trainer {
  fit(model: MmmlModel, train: DataSource, val: DataSource | null, options: FitOptions): Promise<FitResult>;
  /** Ends the running fit after its current batch (for Ctrl-C); the epoch is still validated and logged. */
  requestStop(reason?: string): void;
}

export interface TrainerDeps {
  logger: Logger;
  /** Milliseconds, monotonic. */
  clock?: () => number;
}

/** Creates a trainer; one fit at a time. */
export function createTrainer({ logger, clock = () => performance.now() }: TrainerDeps): Trainer {
  let stopReason: string | null = null;
  return {
    requestStop(reason = "stop requested") {
      stopReason ??= reason;
    },
    async fit(model, train, val, options) {
      stopReason = null;
      checkInputs(model, train, val, options);
      const { epochs, batchSize, callbacks = [], resume } = options;
      const monitor = options.monitor ?? (val ? "val_loss" : "loss");
      if (resume) checkResume(resume, options, monitor);
      const { engine, reason } = await chooseEngine(model, options);
      logger.debug("training engine", { engine: engine.name, reason });
      const mode = resolveMode(monitor, options.mode ?? "auto");
      const history: EpochLog[] = resume ? resume.history.map((log) => ({ ...log }) as EpochLog) : [];
      let trainMs = 0, samples = 0, bestEpoch = 0, best = NaN;
      if (resume) {
        [trainMs, samples, bestEpoch, best] = [
          resume.train_seconds * 1000,
          resume.samples,
          resume.best_epoch,
          resume.best,
        ];
      }
      const list = callbackList(callbacks);
      const stepsPerEpoch = Math.ceil(train.size / batchSize);
      const baseLr = options.optimizer.lr;
      const rates = stepRates(options.lrSchedule, baseLr, { epochs, stepsPerEpoch });
      const ctx: TrainContext = {
        model,
        epochs,
        stepsPerEpoch,
        engine: engine.name,
        history,
        baseLr,
        get lrFactor() {
          return rates.factor;
        },
        setLrFactor: (factor) => rates.setFactor(factor),
        requestStop: (why) => void (stopReason ??= why),
        captureState: async () => {
          const states = list.captureStates();
          return {
            epoch: history.length,
            seed: options.seed,
            engine: engine.name,
            optimizer: await engine.getOptimizerState(),
            history: history.map((log) => ({ ...log })),
            monitor,
            best_epoch: bestEpoch,
            best,
            train_seconds: trainMs / 1000,
            samples,
            callbacks: states,
          };
        },
      };
      try {
        if (resume) await engine.setOptimizerState(resume.optimizer);
        await list.onTrainBegin(ctx);
        if (resume) list.restoreStates(resume.callbacks, logger);
        const first = resume ? resume.epoch + 1 : 1;
        for (let epoch = first; epoch <= epochs && stopReason === null; epoch++) {
          const epochStart = clock();
          await engine.beginEpoch(deriveSeed(options.seed, epoch, 0x5eed));
          await list.onEpochBegin(epoch, ctx);
          const totals = await trainEpoch(engine, train, epoch, options, ctx, {
            callbacks: list,
            clock,
            stopped: () => stopReason !== null,
            learningRate: rates.at,
          });
          trainMs += totals.ms;
          samples += totals.rows;
          const valLogs = val
            ? await validate(engine, val, batchSize, options.valMetrics, options.objective)
            : {};
          const logs: EpochLog = {
            epoch,
            loss: totals.lossSum / totals.rows,
            ...(totals.correct === null ? {} : { accuracy: totals.correct / totals.rows }),
            ...valLogs,
            seconds: (clock() - epochStart) / 1000,
            lr: totals.lr,
          };
          history.push(logs);
          const value = monitoredValue(logs, monitor, "training monitor");
          if (bestEpoch === 0 || isImprovement(value, best, mode)) [bestEpoch, best] = [epoch, value];
          if (!Number.isFinite(logs.loss)) {
            ctx.requestStop(`the training loss is ${logs.loss} at epoch ${epoch}`);
          }
          await list.onEpochEnd(epoch, logs, ctx);
        }
        await list.onTrainEnd(ctx);
      } finally {
        engine.dispose();
      }
      const stoppedEarly = stopReason !== null && history.length < epochs;
      if (stopReason !== null) {
        logger.info("training stopped", { reason: stopReason, epochs: history.length });
      }
      const trainSeconds = trainMs / 1000;
      return {
        history,
        stoppedEarly,
        stopReason,
        bestEpoch,
        trainSeconds,
        samplesPerSecond: trainSeconds > 0 ? samples / trainSeconds : 0,
        engine: engine.name,
        engineReason: reason,
      };
    },
  };
}

/** Refuses a saved state that cannot continue this fit: another seed or monitor, or no epochs left. */
function checkResume(state: TrainerState, options: FitOptions, monitor: string): void {
  if (state.epoch >= options.epochs) {
    throw new MmmlError(
      "usage",
      `training.epochs: the checkpoint has already run ${state.epoch} epoch(s); expected more than ${state.epoch} ` +
        `to resume, received ${options.epochs}`,
    );
  }
  if (state.seed !== options.seed) {
    throw new MmmlError(
      "config_invalid",
      `training.seed: the checkpoint was trained with seed ${state.seed}, received ${options.seed}`,
    );
  }
  if (state.monitor !== monitor) {
    throw new MmmlError(
      "config_invalid",
      `training monitor: the checkpoint picked its best epoch by ${state.monitor}, received ${monitor}`,
    );
  }
}

async function chooseEngine(
  model: MmmlModel,
  options: FitOptions,
): Promise<{ engine: StepEngine; reason: string }> {
  const requested = options.engine ?? "auto";
  const backend = options.backend ?? tf.getBackend();
  const verdict = requested === "tfjs"
    ? "tfjs was requested"
    : options.layerRates
    ? "per-layer rates (fine-tuning) run on the tfjs engine"
    : fusedEngineVerdict(model, { backend, optimizer: options.optimizer });
  if (verdict === true) {
    const engine = await createFusedEngine(model, {
      optimizer: options.optimizer,
      seed: deriveSeed(options.seed, 0x5eed),
      maxBatch: options.batchSize,
      objective: options.objective,
      weightDecay: options.weightDecay,
    });
    return {
      engine,
      reason: requested === "fused" ? "fused was requested" : "auto: a dense stack on a CPU backend",
    };
  }
  if (requested === "fused") {
    throw new MmmlError(
      "unsupported",
      `training.engine: the fused engine cannot train this model: ${verdict}`,
    );
  }
  return {
    engine: createTfjsEngine(model, {
      optimizer: options.optimizer,
      objective: options.objective,
      weightDecay: options.weightDecay,
      layerRates: options.layerRates,
    }),
    reason: verdict,
  };
}

function checkInputs(model: MmmlModel, train: DataSource, val: DataSource | null, options: FitOptions): void {
  const expectInt = (field: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) {
      throw new MmmlError(
        "config_invalid",
        `training.${field}: expected a positive integer, received ${describeValue(value)}`,
      );
    }
  };
  expectInt("epochs", options.epochs);
  expectInt("batch_size", options.batchSize);
  if (options.lrSchedule) checkLrSchedule(options.lrSchedule, options.epochs);
  if (train.size < 1) {
    throw new MmmlError("invalid_input", "training data: expected at least one row, received 0");
  }
  for (const [name, source] of [["training", train], ["validation", val]] as const) {
    if (!source) continue;
    if (
      source.inputShape.join("x") !== model.spec.inputShape.join("x") ||
      source.numClasses !== model.spec.numClasses
    ) {
      throw new MmmlError(
        "schema_mismatch",
        `${name} data: the model expects input [${model.spec.inputShape}] and ${model.spec.numClasses} classes, ` +
          `received input [${source.inputShape}] and ${source.numClasses} classes`,
      );
    }
  }
  if (options.classWeights && options.classWeights.length !== model.spec.numClasses) {
    throw new MmmlError(
      "config_invalid",
      `training.class_weights: expected ${model.spec.numClasses} weights, received ${options.classWeights.length}`,
    );
  }
}
