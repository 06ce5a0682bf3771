import assert from "node:assert/strict";
import { MlpConfig, type ModelConfig } from "../config/schema.ts";
import { useBackend } from "../backend/choose.ts";
import { MmmlError } from "../errors.ts";
import { ARCHITECTURES, buildModel } from "./architectures.ts";

await useBackend("wasm");

Deno.test("buildModel builds an MLP from the architecture table", () => {
  const model = buildModel(MlpConfig.parse({ arch: "mlp", hidden: [4] }), { inputShape: [3], numClasses: 2 });
  assert.equal(model.config.arch, "mlp");
  assert.equal(model.paramCount(), 3 * 4 + 4 + 4 * 2 + 2);
  model.net.dispose();
  assert.ok(Object.isFrozen(ARCHITECTURES));
});

Deno.test("buildModel names the architectures it has when asked for one it lacks", () => {
  assert.throws(
    () =>
      // Every schema arch is in the table now; a config that bypassed the schema still gets the message.
      buildModel({ arch: "vit_b16" } as unknown as ModelConfig, { inputShape: [32, 32, 3], numClasses: 2 }),
    (e: unknown) =>
      e instanceof MmmlError && e.code === "unsupported" &&
      /expected one of mlp, resnet18, .*efficientnet_b1 in this build, received "vit_b16"/.test(e.message),
  );
});
