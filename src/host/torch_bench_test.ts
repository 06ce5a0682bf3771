import assert from "node:assert/strict";
import { benchTorch } from "./torch_bench.ts";

const OPTIONS = { arch: "resnet18", batch: 2, size: 32, steps: 2, warmup: 1, classes: 10, budgetSeconds: 30 };

Deno.test("benchTorch says plainly when python3 or torch is missing, or the script fails", async () => {
  assert.deepEqual(await benchTorch(() => Promise.resolve(null), OPTIONS), { error: "python3 not found" });
  const noTorch = await benchTorch(
    () =>
      Promise.resolve({
        code: 1,
        stdout: "",
        stderr: "Traceback\nModuleNotFoundError: No module named 'torch'\n",
      }),
    OPTIONS,
    "/opt/py/bin/python3",
  );
  assert.deepEqual(noTorch, {
    error: "/opt/py/bin/python3 exited with 1: ModuleNotFoundError: No module named 'torch'",
  });
});

const torchPython = ["/usr/bin/python3"].find((p) =>
  new Deno.Command(p, { args: ["-c", "import torch"], stdout: "null", stderr: "null" }).outputSync().success
);

Deno.test({
  name: torchPython
    ? "benchTorch trains ResNet-18 steps in the host's PyTorch and reads its JSON line"
    : "benchTorch in PyTorch (skipped: no /usr/bin/python3 with torch; .ci/setup_torch.sh installs it)",
  ignore: !torchPython,
  async fn() {
    const { createCommandRunner } = await import("./facts.ts");
    const r = await benchTorch(createCommandRunner({ timeoutMs: 120_000 }), OPTIONS, torchPython);
    assert.equal(r.model, "resnet18");
    assert.equal(r.device, "cpu");
    assert.equal(r.steps, 2);
    assert.ok((r.images_per_s as number) > 0, JSON.stringify(r));
  },
});
