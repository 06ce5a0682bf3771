import assert from "node:assert/strict";
import { join } from "node:path";
import type { DoctorReport } from "../../host/doctor_report.ts";
import { runCli } from "../run_cli.ts";
import { formatDoctorReport } from "./doctor.ts";

Deno.test("mmml doctor --json prints one JSON object on stdout; plain doctor prints a line per backend", async () => {
  const root = await Deno.makeTempDir({ prefix: "mmml_doctor_" });
  try {
    let stdout = "", stderr = "";
    const args = ["doctor", "--registry", "reg", "--json"];
    const code = await runCli({
      args,
      cwd: root,
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
    });
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trimEnd().split("\n").length, 1);
    const report = JSON.parse(stdout) as DoctorReport;
    assert.equal(report.registry.location, join(root, "reg"));
    assert.equal(report.registry.exists, false);
    assert.equal(report.backends.find((b) => b.name === "wasm")?.available, true);

    stdout = "";
    assert.equal(
      await runCli({
        args: ["doctor", "--registry", "reg"],
        cwd: root,
        stdout: (s) => (stdout += s),
        stderr: () => {},
      }),
      0,
    );
    for (const name of ["tensorflow", "webgpu", "wasm", "cpu"]) {
      assert.match(stdout, new RegExp(`^  ${name} +(yes|no)`, "m"));
    }
    assert.match(stdout, /^onnxruntime {2}\d+\.\d+\.\d+; providers/m);
    assert.match(stdout, /^problems {5}none$/m);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("formatDoctorReport shows a GPU host: NVIDIA adapter, CUDA version and each GPU", () => {
  const report: DoctorReport = {
    mmml: "0.1.0",
    runtime: { deno: "2.9.6", v8: "15.0", typescript: "6.0", os: "linux", arch: "x86_64" },
    backends: [{
      name: "webgpu",
      available: true,
      auto: true,
      reason: 'GPU adapter "NVIDIA H100"',
      details: {
        adapter: {
          vendor: "nvidia",
          architecture: "hopper",
          device: "0x2330",
          description: "NVIDIA H100",
          isFallbackAdapter: false,
          cpu: false,
        },
      },
    }],
    auto: "webgpu",
    onnxruntime: { version: "1.30.0", providers: [{ provider: "cuda", available: true, configured: true }] },
    cpu: { model: "EPYC", logicalCores: 16 },
    memory: { totalBytes: 128 * 1024 ** 3, availableBytes: 100 * 1024 ** 3 },
    disk: { path: "models", measured: "/srv", totalBytes: 64 * 1024 ** 3, freeBytes: 32 * 1024 ** 3 },
    gpu: {
      status: "found",
      cudaVersion: "12.2",
      gpus: [{
        index: 0,
        name: "NVIDIA H100",
        driver: "535.1",
        memoryTotalMiB: 81559,
        memoryUsedMiB: 3,
        utilizationPercent: 0,
      }],
    },
    registry: { location: "/srv/models", exists: true, writable: true, models: 1, versions: 2 },
    problems: [],
  };
  const text = formatDoctorReport(report);
  assert.match(
    text,
    /^webgpu {7}NVIDIA H100: vendor nvidia, architecture hopper, device 0x2330, fallback no$/m,
  );
  assert.match(text, /^gpu 0 {8}NVIDIA H100, 81559 MiB \(3 used\), driver 535\.1, CUDA 12\.2$/m);
  assert.match(text, /^ {2}\* cuda {5}yes$/m);
  assert.match(text, /^memory {7}128\.0 GiB total, 100\.0 GiB available$/m);
});
