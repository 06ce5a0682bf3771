import assert from "node:assert/strict";
import type { DoctorReport } from "./doctor_report.ts";
import { adviceForOneFile } from "./one_file.ts";

const REPORT = {
  backends: [
    {
      name: "tensorflow",
      available: false,
      auto: false,
      reason: "not installed",
      install: "run `deno task setup:gpu`",
      details: {},
    },
    { name: "wasm", available: true, auto: true, reason: "simd", details: {} },
  ],
  onnxruntime: {
    version: "1.30.0",
    providers: [
      {
        provider: "cuda",
        available: false,
        configured: true,
        reason: "not installed (libonnxruntime_providers_cuda.so absent): ...",
      },
      { provider: "cpu", available: true, configured: true },
    ],
  },
} as unknown as DoctorReport;

Deno.test("from the one file, doctor's hints for the clone-only engines name the file and the clone's command", () => {
  const r = adviceForOneFile(REPORT, "/opt/mmml");
  assert.match(
    r.backends[0].install!,
    /^not part of the one-file mmml \(\/opt\/mmml\): --backend tensorflow needs a clone/,
  );
  assert.deepEqual(r.backends[1], REPORT.backends[1]);
  const providers = (r.onnxruntime as { providers: { reason?: string }[] }).providers;
  assert.match(
    providers[0].reason!,
    /^not part of the one-file mmml: the one file carries ONNX Runtime's CPU provider only/,
  );
  assert.equal(providers[1].reason, undefined);
  assert.equal(REPORT.backends[0].install, "run `deno task setup:gpu`", "the input is not changed");
});
