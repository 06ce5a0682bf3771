import assert from "node:assert/strict";
import { TASKS } from "../tasks/tasks.ts";
import { TrainingConfig } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import {
  checkLrSchedule,
  type LrScheduleConfig,
  resolveLrSchedule,
  scheduledLr,
  stepRates,
} from "./lr_schedule.ts";

const schedule = (over: Partial<LrScheduleConfig>): LrScheduleConfig =>
  TrainingConfig.parse({ lr_schedule: over }).lr_schedule;
/** Every step's rate over `epochs` epochs of `stepsPerEpoch` steps, from base 1e-3. */
const rates = (s: LrScheduleConfig, epochs: number, stepsPerEpoch: number) =>
  Array.from(
    { length: epochs * stepsPerEpoch },
    (_, step) => scheduledLr(s, 1e-3, { step, stepsPerEpoch, totalSteps: epochs * stepsPerEpoch }),
  );
const assertClose = (actual: number[], expected: number[]) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-12, `step ${i}: ${a} vs ${expected[i]}`));
};

// The expected rates are what torch 1.13's schedulers gave for 20 steps from lr 1e-3 (SGD, one step each).
Deno.test("cosine, linear and one_cycle give torch's per-step rates", () => {
  assertClose(rates(schedule({ name: "cosine", min_lr: 1e-5 }), 4, 5), [
    0.001,
    0.0009939057285945933,
    0.0009757729755661012,
    0.0009460482294732422,
    0.0009054634122155991,
    0.0008550178566873411,
    0.0007959536998847743,
    0.0007297252973710758,
    0.0006579634122155991,
    0.0005824350601949144,
    0.0005050000000000001,
    0.000427564939805086,
    0.0003520365877844012,
    0.00028027470262892445,
    0.0002140463001152259,
    0.00015498214331265904,
    0.00010453658778440108,
    6.395177052675796e-05,
    3.422702443389901e-05,
    1.6094271405406862e-05,
  ]); // CosineAnnealingLR(T_max=20, eta_min=1e-5)
  assertClose(
    rates(schedule({ name: "linear" }), 4, 5),
    Array.from({ length: 20 }, (_, t) => 1e-3 * (1 - t / 20)),
  );
  assertClose(rates(schedule({ name: "one_cycle" }), 4, 5), [
    3.9999999999999996e-05,
    0.00018058874503045722,
    0.0005200000000000001,
    0.0008594112549695428,
    0.001,
    0.0009890739096288991,
    0.0009567731610940123,
    0.000904509452102502,
    0.0008345669575263975,
    0.0007500025000000001,
    0.000654511952102502,
    0.0005522687089915105,
    0.0004477412910084897,
    0.0003454980478974982,
    0.0002500075000000001,
    0.00016544304247360285,
    9.550054789749821e-05,
    4.323683890598773e-05,
    1.0936090371100826e-05,
    1e-08,
  ]); // OneCycleLR(max_lr=1e-3, total_steps=20, pct_start=0.25, div_factor=25, final_div_factor=4000)
});

Deno.test("a warm-up rises linearly from lr / warmup_div, then the shape runs over the remaining steps", () => {
  // SequentialLR([LinearLR(start_factor=1/25, total_iters=4), CosineAnnealingLR(T_max=16)], milestones=[4])
  assertClose(rates(schedule({ name: "cosine", warmup_epochs: 1 }), 5, 4), [
    4e-05,
    0.00028000000000000003,
    0.0005200000000000001,
    0.00076,
    0.001,
    0.0009903926402016153,
    0.0009619397662556436,
    0.0009157348061512729,
    0.0008535533905932739,
    0.0007777851165098013,
    0.0006913417161825451,
    0.0005975451610080643,
    0.0005000000000000001,
    0.000402454838991936,
    0.0003086582838174552,
    0.0002222148834901991,
    0.0001464466094067263,
    8.426519384872735e-05,
    3.806023374435664e-05,
    9.607359798384787e-06,
  ]);
  const warmConstant = rates(schedule({ name: "constant", warmup_epochs: 0.5 }), 2, 4);
  assertClose(warmConstant, [4e-5, 4e-5 + 0.96e-3 / 2, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3]);
});

Deno.test("step and exponential change the rate once per epoch, as torch's StepLR and ExponentialLR", () => {
  const step = rates(schedule({ name: "step", step_size: 2, gamma: 0.5 }), 5, 3);
  assertClose(step, [1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25].map((f) => f * 1e-3));
  const exp = rates(schedule({ name: "exponential", gamma: 0.9 }), 3, 2);
  assertClose(exp, [1, 1, 0.9, 0.9, 0.81, 0.81].map((f) => f * 1e-3));
  assert.deepEqual(rates(schedule({ name: "constant" }), 2, 3), Array(6).fill(1e-3));
});

Deno.test('"auto" is cosine for image models and constant for tabular ones; other names stay', () => {
  const auto = schedule({});
  assert.equal(auto.name, "auto");
  assert.deepEqual(resolveLrSchedule(auto, TASKS.image.autoLrSchedule), { ...auto, name: "cosine" });
  assert.deepEqual(resolveLrSchedule(auto, TASKS.tabular.autoLrSchedule), { ...auto, name: "constant" });
  const linear = schedule({ name: "linear" });
  assert.equal(resolveLrSchedule(linear, "cosine"), linear);
  assert.throws(() => checkLrSchedule(auto, 3), /resolve "auto"/);
});

Deno.test("checkLrSchedule refuses a warm-up as long as the run, naming both settings", () => {
  assert.throws(
    () => checkLrSchedule(schedule({ name: "cosine", warmup_epochs: 3 }), 3),
    (e) =>
      e instanceof MmmlError && e.code === "config_invalid" &&
      e.message ===
        "training.lr_schedule.warmup_epochs: expected fewer than training.epochs (3), received 3",
  );
  checkLrSchedule(schedule({ name: "cosine", warmup_epochs: 2.5 }), 3);
  checkLrSchedule(schedule({ name: "one_cycle", warmup_epochs: 5 }), 3);
});

Deno.test("stepRates counts steps across epochs and multiplies by the plateau factor", () => {
  const cosine = schedule({ name: "cosine" });
  const rates = stepRates(cosine, 1e-3, { epochs: 4, stepsPerEpoch: 5 });
  assert.equal(rates.at(3, 2), scheduledLr(cosine, 1e-3, { step: 12, stepsPerEpoch: 5, totalSteps: 20 }));
  rates.setFactor(0.1);
  assert.equal(rates.factor, 0.1);
  assert.equal(
    rates.at(3, 2),
    0.1 * scheduledLr(cosine, 1e-3, { step: 12, stepsPerEpoch: 5, totalSteps: 20 }),
  );
  assert.throws(() => rates.setFactor(0), RangeError);
  assert.equal(stepRates(undefined, 0.01, { epochs: 2, stepsPerEpoch: 3 }).at(2, 1), 0.01);
});
