import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CommandRunner,
  cpuFacts,
  createCommandRunner,
  diskFacts,
  gpuFacts,
  memoryFacts,
  parseNvidiaSmi,
  runtimeFacts,
} from "./facts.ts";

const SMI_TWO_GPUS = "0, NVIDIA H100 80GB HBM3, 535.129.03, 81559, 3, 0\n" +
  "1, NVIDIA A10G, 535.129.03, 23028, 512, [N/A]\n";

const SMI_REPORT =
  "==============NVSMI LOG==============\n\nDriver Version                            : 535.129.03\n" +
  "CUDA Version                              : 12.2\n";

/** A runner that answers from a table keyed by the first argument. */
function recorded(answers: Record<string, ReturnType<CommandRunner>>): CommandRunner {
  return (_program, args) => answers[args[0].split("=")[0]] ?? Promise.resolve(null);
}

Deno.test("parseNvidiaSmi reads each GPU's row and keeps [N/A] utilisation as null", () => {
  assert.deepEqual(parseNvidiaSmi(SMI_TWO_GPUS), [
    {
      index: 0,
      name: "NVIDIA H100 80GB HBM3",
      driver: "535.129.03",
      memoryTotalMiB: 81559,
      memoryUsedMiB: 3,
      utilizationPercent: 0,
    },
    {
      index: 1,
      name: "NVIDIA A10G",
      driver: "535.129.03",
      memoryTotalMiB: 23028,
      memoryUsedMiB: 512,
      utilizationPercent: null,
    },
  ]);
});

Deno.test("gpuFacts lists GPUs with the CUDA version from the full report", async () => {
  const ok = (stdout: string) => Promise.resolve({ code: 0, stdout, stderr: "" });
  const facts = await gpuFacts(recorded({ "--query-gpu": ok(SMI_TWO_GPUS), "-q": ok(SMI_REPORT) }));
  assert.equal(facts.status, "found");
  assert.equal(facts.gpus.length, 2);
  assert.equal(facts.cudaVersion, "12.2");
});

Deno.test("gpuFacts says 'not found' without nvidia-smi and names nvidia-smi's own failure", async () => {
  assert.deepEqual(await gpuFacts(() => Promise.resolve(null)), {
    status: "not found",
    gpus: [],
    reason: "nvidia-smi not found",
  });
  const broken = await gpuFacts(() =>
    Promise.resolve({
      code: 9,
      stdout: "",
      stderr: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\nMake sure...",
    })
  );
  assert.equal(broken.status, "error");
  assert.equal(
    broken.reason,
    "nvidia-smi exited with 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
  );
  const denied = await gpuFacts(() => Promise.reject(new Deno.errors.NotCapable("Requires run access")));
  assert.match(denied.reason!, /needs --allow-run=nvidia-smi/);
});

Deno.test("diskFacts measures the nearest existing folder when the registry does not exist yet", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_disk_" });
  try {
    const facts = await diskFacts(join(dir, "models", "not-yet"));
    assert.ok(!("error" in facts));
    assert.equal(facts.measured, dir);
    assert.ok(facts.freeBytes > 0 && facts.freeBytes <= facts.totalBytes);
    const fake = await diskFacts("/reg", (path) => {
      assert.equal(path, "/reg");
      return Promise.resolve({ bsize: 4096, blocks: 1000, bavail: 250 });
    });
    assert.deepEqual(fake, { path: "/reg", measured: "/reg", totalBytes: 4_096_000, freeBytes: 1_024_000 });
    const denied = await diskFacts(
      "/reg",
      () => Promise.reject(Object.assign(new Error("EACCES"), { code: "EACCES" })),
    );
    assert.deepEqual(denied, { error: "cannot measure free space under /reg: EACCES" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cpu, memory and runtime facts come from what they are given", () => {
  assert.deepEqual(cpuFacts(() => [{ model: " AMD EPYC 9654 " }, { model: "AMD EPYC 9654" }]), {
    model: "AMD EPYC 9654",
    logicalCores: 2,
  });
  assert.deepEqual(cpuFacts(() => []), { model: "unknown", logicalCores: 0 });
  assert.deepEqual(memoryFacts(() => ({ total: 8, available: 3 })), { totalBytes: 8, availableBytes: 3 });
  const here = runtimeFacts();
  assert.equal(here.deno, Deno.version.deno);
  assert.equal(here.v8, Deno.version.v8);
});

Deno.test("createCommandRunner returns output, exit status, and null for a program that is not installed", async () => {
  const run = createCommandRunner();
  const out = await run(Deno.execPath(), ["eval", "console.log('hi'); Deno.exit(3)"]);
  assert.deepEqual(out, { code: 3, stdout: "hi\n", stderr: "" });
  assert.equal(await run("mmml-no-such-program", []), null);
});
